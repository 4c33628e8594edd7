#!/usr/bin/env python3
"""Times `allot chargeback` beside python polars and DuckDB doing the same join and sum.

Usage: compare.py --allot BIN --dir DATA --month 2026-09 [--no-peers]
DATA holds cost.csv, cost.parquet and mapping.csv (made by `allot bench`). Each contender runs
in its own process; wall time and peak resident memory come from os.wait4, the same way for all.
The peers read money as Decimal(38, 9), not float, so every contender does exact arithmetic.
"""
import argparse, os, subprocess, sys, tempfile, time

PEER_POLARS = r'''
import sys, polars as pl
cost, mapping, first, last, out = sys.argv[1:6]
first, last = pl.lit(first).str.to_date(), pl.lit(last).str.to_date()
if cost.endswith(".csv"):
    facts = pl.scan_csv(cost, schema_overrides={"cost_usd": pl.Decimal(38, 9), "date": pl.Date, "email": pl.String})
else:
    facts = pl.scan_parquet(cost)
facts = facts.select("date", "email", "cost_usd").filter(pl.col("date").is_between(first, last))
per_day = (facts.group_by("email", "date").agg(pl.col("cost_usd").sum())
           .with_columns(pl.col("email").str.strip_chars().str.to_lowercase().alias("email_norm"))
           .group_by("email_norm", "date").agg(pl.col("cost_usd").sum()))
m = (pl.scan_csv(mapping, infer_schema=False)
     .with_columns(pl.col("email").str.strip_chars().str.to_lowercase().alias("email_norm"),
                   pl.col("effective_from").str.to_date().fill_null(pl.date(1, 1, 1)).alias("f"),
                   pl.col("effective_to").str.to_date().fill_null(pl.date(9999, 12, 31)).alias("t"))
     .select("email_norm", "cost_center", "f", "t"))
matched = (per_day.select("email_norm", "date").join(m, on="email_norm")
           .filter((pl.col("date") >= pl.col("f")) & (pl.col("date") <= pl.col("t")))
           .select("email_norm", "date", "cost_center"))
res = (per_day.join(matched, on=["email_norm", "date"], how="left")
       .with_columns(pl.col("cost_center").fill_null("UNMAPPED"))
       .group_by("cost_center").agg(pl.col("cost_usd").sum().alias("amount"), pl.col("email_norm").n_unique().alias("users"))
       .sort("cost_center").collect())
res.write_csv(out)
'''

PEER_DUCKDB = r'''
import sys, duckdb
cost, mapping, first, last, out = sys.argv[1:6]
src = (f"read_csv('{cost}', header=true, columns={{'date':'DATE','email':'VARCHAR','product':'VARCHAR','model':'VARCHAR',"
       f"'context_window':'VARCHAR','cost_type':'VARCHAR','token_type':'VARCHAR','tokens':'BIGINT','cost_usd':'DECIMAL(38,9)',"
       f"'user_id':'VARCHAR','list_cost_usd':'DECIMAL(38,9)'}})") if cost.endswith(".csv") else f"read_parquet('{cost}')"
duckdb.sql(f"""
COPY (
WITH facts AS (SELECT date, email, cost_usd FROM {src} WHERE date BETWEEN DATE '{first}' AND DATE '{last}'),
per_day AS (SELECT lower(trim(email)) AS email_norm, date, sum(cost_usd) AS cost_usd FROM facts GROUP BY 1, 2),
m AS (SELECT lower(trim(email)) AS email_norm, cost_center,
             coalesce(try_cast(effective_from AS DATE), DATE '0001-01-01') AS f,
             coalesce(try_cast(effective_to AS DATE), DATE '9999-12-31') AS t
      FROM read_csv('{mapping}', header=true, all_varchar=true))
SELECT coalesce(m.cost_center, 'UNMAPPED') AS cost_center, sum(p.cost_usd) AS amount, count(DISTINCT p.email_norm) AS users
FROM per_day p LEFT JOIN m ON p.email_norm = m.email_norm AND p.date BETWEEN m.f AND m.t
GROUP BY 1 ORDER BY 1) TO '{out}' (HEADER)
""")
'''


def measure(cmd, env=None):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024.0


def peer_python():
    """A python with polars and duckdb: this one if it has them, else a venv made once."""
    try:
        import polars, duckdb  # noqa: F401
        return sys.executable
    except ImportError:
        pass
    venv = os.path.join(os.path.expanduser("~"), ".cache", "allot-bench-venv")
    py = os.path.join(venv, "bin", "python")
    if not os.path.exists(py):
        subprocess.check_call([sys.executable, "-m", "venv", venv])
    subprocess.check_call([py, "-m", "pip", "install", "-q", "polars", "duckdb"])
    return py


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--allot", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--last-day", required=True)
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    d = os.path.abspath(a.dir)
    mapping = os.path.join(d, "mapping.csv")
    first = a.month + "-01"
    tmp = tempfile.mkdtemp(prefix="allot-bench-")
    contenders = []
    for fmt in ("csv", "parquet"):
        cost = os.path.join(d, f"cost.{fmt}")
        contenders.append((f"allot chargeback", fmt, [a.allot, "-q", "chargeback", "--month", a.month, "--mapping", mapping,
                                                       "--cost", cost, "--as-of", "2099-01-01", "--out", tmp, "--format", "csv"]))
    if not a.no_peers:
        py = peer_python()
        for name, code in (("python polars", PEER_POLARS), ("duckdb", PEER_DUCKDB)):
            script = os.path.join(tmp, "peer_" + name.replace(" ", "_") + ".py")
            open(script, "w").write(code)
            for fmt in ("csv", "parquet"):
                cost = os.path.join(d, f"cost.{fmt}")
                contenders.append((name, fmt, [py, script, cost, mapping, first, a.last_day, os.path.join(tmp, f"{name}-{fmt}.csv")]))
    results = []
    for name, fmt, cmd in contenders:
        runs = [measure(cmd) for _ in range(a.repeat)]
        wall = min(r[0] for r in runs)
        mem = max(r[1] for r in runs)
        results.append((name, fmt, wall, mem))
        print(f"  {name:18} {fmt:8} {wall:8.2f} s  {mem:8.0f} MB peak", flush=True)
    print()
    print(f"{'contender':18} {'input':8} {'wall s':>8} {'peak MB':>8} {'allot / this':>12}")
    for name, fmt, wall, mem in results:
        ours = next(r for r in results if r[0] == "allot chargeback" and r[1] == fmt)
        print(f"{name:18} {fmt:8} {wall:8.2f} {mem:8.0f} {ours[2] / wall:12.2f}")
    print("\n(allot / this < 1.00 means allot was faster; best of", a.repeat, "runs each)")


if __name__ == "__main__":
    main()
