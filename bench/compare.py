#!/usr/bin/env python3
"""Times allot beside python polars and DuckDB doing the same effective-date join and sums.

Usage: compare.py --allot BIN --dir DATA --month 2026-09 [--year FIRST_MONTH] [--no-peers]

DATA holds mapping.csv and cost-MONTH.csv / cost-MONTH.parquet (made by `allot bench`).
Month mode: `allot chargeback --month` on one month's CSV and Parquet. Year mode (--year):
`allot trend --per month` over twelve monthly Parquet files, the peers summing per month and
cost center over the same files. Each contender runs in its own process; wall time and peak
resident memory come from os.wait4, the same way for all. The peers read money as
Decimal(38, 9), never float, so every contender does exact arithmetic; their sums are then
compared with allot's cents (every month's total equal to the cent, every row within a cent).
"""
import argparse, csv, os, subprocess, sys, tempfile, time
from decimal import Decimal, ROUND_HALF_UP

PEER_POLARS = r'''
import sys, polars as pl
mode, mapping, first, last, out, *costs = sys.argv[1:]
first, last = pl.lit(first).str.to_date(), pl.lit(last).str.to_date()
if costs[0].endswith(".csv"):
    facts = pl.scan_csv(costs, schema_overrides={"cost_usd": pl.Decimal(38, 9), "date": pl.Date, "email": pl.String})
else:
    facts = pl.scan_parquet(costs)
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
keyed = (per_day.join(matched, on=["email_norm", "date"], how="left")
         .with_columns(pl.col("cost_center").fill_null("UNMAPPED"),
                       pl.col("date").dt.strftime("%Y-%m").alias("month")))
keys = ["cost_center"] if mode == "month" else ["month", "cost_center"]
res = (keyed.group_by(keys).agg(pl.col("cost_usd").sum().alias("amount"), pl.col("email_norm").n_unique().alias("users"))
       .sort(keys).collect())
res.write_csv(out)
'''

PEER_DUCKDB = r'''
import sys, duckdb
mode, mapping, first, last, out, *costs = sys.argv[1:]
files = "[" + ",".join(f"'{c}'" for c in costs) + "]"
src = (f"read_csv({files}, header=true, columns={{'date':'DATE','email':'VARCHAR','user_id':'VARCHAR','product':'VARCHAR','model':'VARCHAR',"
       f"'context_window':'VARCHAR','cost_type':'VARCHAR','token_type':'VARCHAR','tokens':'BIGINT','cost_usd':'DECIMAL(38,9)',"
       f"'list_cost_usd':'DECIMAL(38,9)'}})") if costs[0].endswith(".csv") else f"read_parquet({files})"
keys = "cost_center" if mode == "month" else "month, cost_center"
duckdb.sql(f"""
COPY (
WITH facts AS (SELECT date, email, cost_usd FROM {src} WHERE date BETWEEN DATE '{first}' AND DATE '{last}'),
per_day AS (SELECT lower(trim(email)) AS email_norm, date, sum(cost_usd) AS cost_usd FROM facts GROUP BY 1, 2),
m AS (SELECT lower(trim(email)) AS email_norm, cost_center,
             coalesce(try_cast(effective_from AS DATE), DATE '0001-01-01') AS f,
             coalesce(try_cast(effective_to AS DATE), DATE '9999-12-31') AS t
      FROM read_csv('{mapping}', header=true, all_varchar=true))
SELECT strftime(p.date, '%Y-%m') AS month, coalesce(m.cost_center, 'UNMAPPED') AS cost_center,
       sum(p.cost_usd) AS amount, count(DISTINCT p.email_norm) AS users
FROM per_day p LEFT JOIN m ON p.email_norm = m.email_norm AND p.date BETWEEN m.f AND m.t
GROUP BY ALL ORDER BY ALL) TO '{out}' (HEADER)
""")
'''


def measure(cmd, env=None, ok=(0,)):
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) not in ok:
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


def months_from(first, n):
    y, m = map(int, first.split("-"))
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        m += 1
        if m == 13:
            y, m = y + 1, 1
    return out


def last_day(month):
    y, m = map(int, month.split("-"))
    import calendar
    return f"{month}-{calendar.monthrange(y, m)[1]:02d}"


def cents(d):
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check(allot_csv, peer_csv, key_cols, label):
    """allot's cents against a peer's exact sums: totals per month equal, every row within a cent."""
    ours = {}
    for r in csv.DictReader(open(allot_csv)):
        key = tuple(r[k] if k in r else r["period_start"][:7] for k in key_cols)
        ours[key] = Decimal(r["amount_usd"])
    theirs = {}
    for r in csv.DictReader(open(peer_csv)):
        key = tuple(r[k] for k in key_cols)
        theirs[key] = Decimal(r["amount"])
    if set(ours) != set(theirs):
        return f"{label}: different rows ({len(set(ours) ^ set(theirs))} differ)"
    far = [k for k in ours if abs(ours[k] - theirs[k]) >= Decimal("0.01")]
    if far:
        return f"{label}: {len(far)} rows more than a cent apart, e.g. {far[0]}: {ours[far[0]]} vs {theirs[far[0]]}"
    by_month_o, by_month_t = {}, {}
    for k, v in ours.items():
        by_month_o[k[0] if len(k) > 1 else ""] = by_month_o.get(k[0] if len(k) > 1 else "", 0) + v
    for k, v in theirs.items():
        by_month_t[k[0] if len(k) > 1 else ""] = by_month_t.get(k[0] if len(k) > 1 else "", 0) + v
    off = [m for m in by_month_o if by_month_o[m] != cents(by_month_t[m])]
    if off:
        return f"{label}: totals differ for {off}"
    return None


def time_plan(plan, repeat, by, label):
    """Runs each command of the plan `repeat` times in its own process; returns
    {(command, p[by]): (best wall time, largest peak)} and prints each as it comes."""
    got = {}
    for p in plan:
        runs = [measure(p["argv"], ok=tuple(p.get("ok", [0]))) for _ in range(repeat)]
        wall, mem = min(r[0] for r in runs), max(r[1] for r in runs)
        got[(p["command"], p[by])] = (wall, mem)
        print(f"  {p['command']:12} {label(p[by])} {wall:8.2f} s {mem:8.0f} MB peak", flush=True)
    return got


def scale(plan_file, repeat):
    """Times every command of the plan (JSON lines: people, command, argv) in its own process
    and prints how its time and peak memory grow with the people: per doubling, so a step
    quadratic in people shows as 4x where a linear one is 2x."""
    import json, math
    every = [json.loads(line) for line in open(plan_file) if line.strip()]
    plan = [p for p in every if "years" not in p]
    history = [p for p in every if "years" in p]
    sizes = sorted({p["people"] for p in plan})
    commands = list(dict.fromkeys(p["command"] for p in plan))
    got = time_plan(plan, repeat, "people", lambda n: f"{n:>7} people")
    print()
    head = f"{'command':12}" + "".join(f"{f'{n:,} people':>22}" for n in sizes)
    if len(sizes) > 1:
        head += f"{'per doubling of people':>30}"
    print(head)
    worst, slow = [], []
    for c in commands:
        row = f"{c:12}"
        for n in sizes:
            w, m = got[(c, n)]
            row += f"{f'{w:.2f} s {m:.0f} MB':>22}"
        if len(sizes) > 1:
            (w1, m1), (w2, m2) = got[(c, sizes[0])], got[(c, sizes[-1])]
            doublings = math.log2(sizes[-1] / sizes[0])
            tg, mg = (w2 / w1) ** (1 / doublings), (m2 / m1) ** (1 / doublings)
            row += f"{f'time {tg:.2f}x, memory {mg:.2f}x':>30}"
            if tg > 2.5:
                worst.append(f"{c} ({tg:.2f}x)")
        if got[(c, sizes[-1])][0] >= 60:
            slow.append(f"{c} ({got[(c, sizes[-1])][0]:.0f} s)")
        print(row)
    print(f"\n(best of {repeat} runs each; wall time and peak resident memory of the whole process)")
    if len(sizes) > 1:
        print("no command grows faster than 2.5x per doubling of people" if not worst
              else "MISSED: grows faster than 2.5x per doubling of people: " + ", ".join(worst))
    print(f"every command under a minute at {sizes[-1]:,} people" if not slow
          else f"MISSED: a minute or more at {sizes[-1]:,} people: " + ", ".join(slow))
    if history:
        years(history, repeat)


def years(plan, repeat):
    """Times the commands of stores holding several years of history (one organisation size)
    and prints how each grows with the history: a month's figures should not, a trend over
    the whole history should grow with it, and no more."""
    spans = sorted({p["years"] for p in plan})
    commands = list(dict.fromkeys(p["command"] for p in plan))
    people = plan[0]["people"]
    print()
    got = time_plan(plan, repeat, "years", lambda y: f"{y:>3} years")
    print()
    head = f"{'command':12}" + "".join(f"{f'{y} years, {people:,} people':>30}" for y in spans)
    if len(spans) > 1:
        head += f"{f'{spans[-1]} years against {spans[0]}':>34}"
    print(head)
    for c in commands:
        row = f"{c:12}"
        for y in spans:
            w, m = got[(c, y)]
            row += f"{f'{w:.2f} s {m:.0f} MB':>30}"
        if len(spans) > 1:
            (w1, m1), (w2, m2) = got[(c, spans[0])], got[(c, spans[-1])]
            row += f"{f'time {w2 / w1:.2f}x, memory {m2 / m1:.2f}x':>34}"
        print(row)
    if len(spans) > 1:
        grow = spans[-1] / spans[0]
        print(f"\n(the history is {grow:.0f}x as long: a month's command should stay near 1x,"
              f" a trend over all of it near {grow:.0f}x)")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--allot", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--month", required=True)
    ap.add_argument("--scale", help="a plan of commands to time per organisation size (JSON lines)")
    ap.add_argument("--year", help="first month of the twelve (year mode)")
    ap.add_argument("--no-peers", action="store_true")
    ap.add_argument("--repeat", type=int, default=2)
    a = ap.parse_args()
    if a.scale:
        return scale(a.scale, a.repeat)
    d = os.path.abspath(a.dir)
    mapping = os.path.join(d, "mapping.csv")
    tmp = tempfile.mkdtemp(prefix="allot-bench-")
    contenders = []  # (name, input, cmd, allot output csv or peer output csv)
    if a.year:
        months = months_from(a.year, 12)
        first, last = months[0] + "-01", last_day(months[-1])
        inputs = [("parquet", [os.path.join(d, f"cost-{m}.parquet") for m in months])]
        mode, keys = "year", ["month", "cost_center"]
        for fmt, costs in inputs:
            out = os.path.join(tmp, f"allot-{fmt}")
            cmd = [a.allot, "-q", "trend", "--per", "month", "--from", first, "--to", last, "--mapping", mapping,
                   "--as-of", "2099-01-01", "--out", out, "--format", "csv"]
            for c in costs:
                cmd += ["--cost", c]
            contenders.append(("allot trend", fmt, cmd, os.path.join(out, "trend.csv")))
    else:
        first, last = a.month + "-01", last_day(a.month)
        inputs = [(fmt, [os.path.join(d, f"cost-{a.month}.{fmt}")]) for fmt in ("csv", "parquet")]
        mode, keys = "month", ["cost_center"]
        for fmt, costs in inputs:
            out = os.path.join(tmp, f"allot-{fmt}")
            contenders.append(("allot chargeback", fmt, [a.allot, "-q", "chargeback", "--month", a.month, "--mapping", mapping,
                                                         "--cost", costs[0], "--as-of", "2099-01-01", "--out", out, "--format", "csv"],
                               os.path.join(out, "chargeback.csv")))
    if not a.no_peers:
        py = peer_python()
        for name, code in (("python polars", PEER_POLARS), ("duckdb", PEER_DUCKDB)):
            script = os.path.join(tmp, "peer_" + name.replace(" ", "_") + ".py")
            open(script, "w").write(code)
            for fmt, costs in inputs:
                out = os.path.join(tmp, f"{name}-{fmt}.csv")
                contenders.append((name, fmt, [py, script, mode, mapping, first, last, out] + costs, out))
    results = []
    for name, fmt, cmd, out in contenders:
        runs = [measure(cmd) for _ in range(a.repeat)]
        wall = min(r[0] for r in runs)
        mem = max(r[1] for r in runs)
        results.append((name, fmt, wall, mem, out))
        print(f"  {name:18} {fmt:8} {wall:8.2f} s  {mem:8.0f} MB peak", flush=True)
    print()
    print(f"{'contender':18} {'input':8} {'wall s':>8} {'peak MB':>8} {'allot / this':>12}")
    ours_name = "allot trend" if a.year else "allot chargeback"
    for name, fmt, wall, mem, _ in results:
        ours = next(r for r in results if r[0] == ours_name and r[1] == fmt)
        print(f"{name:18} {fmt:8} {wall:8.2f} {mem:8.0f} {ours[2] / wall:12.2f}")
    print("\n(allot / this < 1.00 means allot was faster; best of", a.repeat, "runs each)")
    problems = []
    for name, fmt, _, _, out in results:
        if name.startswith("allot"):
            continue
        ours = next(r for r in results if r[0] == ours_name and r[1] == fmt)
        p = check(ours[4], out, keys, f"{name} {fmt}")
        if p:
            problems.append(p)
        else:
            print(f"same figures as {name} ({fmt}): every {'month' if a.year else 'cost center'} total to the cent, every row within a cent")
    if problems:
        raise SystemExit("\n".join(problems))


if __name__ == "__main__":
    main()
