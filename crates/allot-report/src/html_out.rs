//! HTML: one self-contained page per run (no scripts, no CDN, nothing fetched): the headline
//! figures, charts as inline SVG (cost by team, the daily trend, model mix, context-window
//! share, top spenders) and every report as a table. Prints cleanly.

use std::io::Write;

use allot_core::money::format_cents;

use crate::model::{Cell, Kind, Report};

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whole cents as dollars with thousands separators, e.g. `19,816.91` or `-1,234.50`.
pub fn money_text(cents: i64) -> String {
    let plain = format_cents(cents);
    let (sign, rest) = plain
        .strip_prefix('-')
        .map_or(("", plain.as_str()), |r| ("-", r));
    let (whole, frac) = rest.split_once('.').unwrap_or((rest, "00"));
    let mut grouped = String::with_capacity(whole.len() + whole.len() / 3);
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{sign}{grouped}.{frac}")
}

/// A column's name in words for a reader: `cost_per_commit_usd` is "Cost per commit ($)",
/// `coverage_pct` "Coverage (%)", `cost_center` "Cost center".
pub fn heading(name: &str) -> String {
    let (stem, unit) = if let Some(s) = name.strip_suffix("_usd") {
        (s, " ($)")
    } else if let Some(s) = name.strip_suffix("_pct") {
        (s, " (%)")
    } else {
        (name, "")
    };
    let words = stem
        .replace("200k_1m", "200K-1M")
        .replace("0_200k", "0-200K")
        .replace("_per_1k_", " per 1,000 ")
        .replace("pr_", "PR ")
        .replace('_', " ");
    let mut out = String::with_capacity(words.len() + unit.len());
    let mut chars = words.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_uppercase());
        out.extend(chars);
    }
    out.push_str(unit);
    out
}

/// A note as a page says it: the report's column names (`forecast_usd`) become the headings
/// the page's table shows ("Forecast ($)"), so a note and its table use the same words.
pub fn note_in_words(report: &Report, note: &str) -> String {
    let mut names: Vec<&str> = report
        .columns
        .iter()
        .filter(|c| c.in_table && c.name.contains('_'))
        .map(|c| c.name.as_str())
        .collect();
    names.sort_by_key(|n| std::cmp::Reverse(n.len()));
    let mut out = note.to_string();
    for name in names {
        let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
        let mut at = 0;
        while let Some(i) = out[at..].find(name).map(|i| i + at) {
            let end = i + name.len();
            let bytes = out.as_bytes();
            let alone = (i == 0 || !word(bytes[i - 1])) && (end == out.len() || !word(bytes[end]));
            if alone {
                let words = format!("\"{}\"", heading(name));
                let (before, after) = (i.saturating_sub(1), end);
                // `name` in backticks loses them.
                let quoted = i > 0 && bytes[before] == b'`' && bytes.get(after) == Some(&b'`');
                let (from, to) = if quoted {
                    (before, after + 1)
                } else {
                    (i, end)
                };
                out.replace_range(from..to, &words);
                at = from + words.len();
            } else {
                at = end;
            }
        }
    }
    out
}

/// A cell as the page shows it: money with thousands separators, percentages with a sign.
pub fn shown(cell: &Cell, kind: Kind) -> String {
    match (cell, kind) {
        (Cell::Cents(c), Kind::Money) => money_text(*c),
        (Cell::Exact(n), _) => n.whole_cents().map_or_else(|| n.to_string(), money_text),
        (Cell::Int(i), _) => money_text(*i * 100).trim_end_matches(".00").to_string(),
        _ => cell.to_plain(),
    }
}

fn column(report: &Report, name: &str) -> Option<usize> {
    report.columns.iter().position(|c| c.name == name)
}

/// Whole cents (or hundredths) of a money, percentage or whole-number cell; 0 for others.
pub fn cents(cell: &Cell) -> i64 {
    match cell {
        Cell::Cents(c) | Cell::Pct(c) | Cell::Int(c) => *c,
        _ => 0,
    }
}

/// A label cut to `max` characters in the middle (`principal:arn:aws:iam::4…/SupportBot`), so
/// both its kind and its end stay readable in a chart's label column; the whole label is the
/// tooltip.
pub fn fit_label(label: &str, max: usize) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() <= max {
        return label.to_string();
    }
    let head = (max - 1) / 2;
    let tail = max - 1 - head;
    let mut s: String = chars[..head].iter().collect();
    s.push('…');
    s.extend(&chars[chars.len() - tail..]);
    s
}

/// A horizontal bar chart of `(label, value)` pairs; `value` is cents (or hundredths).
pub fn bars(title: &str, items: &[(String, i64)], unit: &str) -> String {
    const LABEL: i64 = 230;
    const WIDTH: i64 = 440;
    const ROW: i64 = 22;
    let max = items.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let height = ROW * items.len() as i64 + 34;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"{}\" height=\"{height}\" viewBox=\"0 0 {} {height}\">",
        esc(title),
        esc(title),
        LABEL + WIDTH + 110,
        LABEL + WIDTH + 110
    );
    for (i, (label, v)) in items.iter().enumerate() {
        let top = 10 + ROW * i as i64;
        let w = (*v).max(0) * WIDTH / max;
        let value = if unit == "%" {
            format!("{}%", format_cents(*v))
        } else {
            format!("${}", money_text(*v))
        };
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\"><title>{}</title>{}</text><rect x=\"{LABEL}\" y=\"{top}\" width=\"{}\" height=\"{}\" class=\"bar\"/><text x=\"{}\" y=\"{}\" class=\"val\">{}</text>",
            LABEL - 8,
            top + 14,
            esc(label),
            esc(&fit_label(label, 36)),
            w.max(1),
            ROW - 6,
            LABEL + w + 6,
            top + 14,
            esc(&value)
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// A line chart of values over consecutive periods (labels shown at both ends).
pub fn line(title: &str, points: &[(String, i64)]) -> String {
    const W: i64 = 760;
    const H: i64 = 220;
    const PAD: i64 = 50;
    let max = points.iter().map(|(_, v)| *v).max().unwrap_or(0).max(1);
    let count = points.len().max(2) as i64;
    let xy = |i: usize, v: i64| {
        (
            PAD + (W - 2 * PAD) * i as i64 / (count - 1),
            H - 30 - (v.max(0) * (H - 60) / max),
        )
    };
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let (x, y) = xy(i, *v);
            format!("{x},{y}")
        })
        .collect();
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"{W}\" height=\"{H}\" viewBox=\"0 0 {W} {H}\"><line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/><polyline points=\"{}\" class=\"trend\"/>",
        esc(title),
        esc(title),
        H - 30,
        W - PAD,
        H - 30,
        path.join(" ")
    );
    for (i, (_, v)) in points.iter().enumerate() {
        let (x, y) = xy(i, *v);
        svg.push_str(&format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"2.5\" class=\"dot\"/>"
        ));
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        svg.push_str(&format!(
            "<text x=\"{PAD}\" y=\"{}\" class=\"lbl\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text><text x=\"{PAD}\" y=\"16\" class=\"lbl\">max ${}/day</text>",
            H - 10,
            esc(&first.0),
            W - PAD,
            H - 10,
            esc(&last.0),
            money_text(max)
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Colours of a chart's series, told apart without relying on colour alone (each series is
/// also named in the legend and the tables).
const PALETTE: [&str; 9] = [
    "#3b6fb6", "#d9822b", "#2e9a5e", "#b83b5e", "#7a5cc4", "#8c6d1f", "#1f8a96", "#c44e2b",
    "#8c959f",
];

/// A line per series over the same periods (labels at both ends), with a legend.
pub fn lines(title: &str, periods: &[String], series: &[(String, Vec<i64>)]) -> String {
    const W: i64 = 760;
    const H: i64 = 240;
    const PAD: i64 = 56;
    let max = series
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let count = periods.len().max(2) as i64;
    let xy = |i: usize, v: i64| {
        (
            PAD + (W - 2 * PAD) * i as i64 / (count - 1),
            H - 30 - (v.max(0) * (H - 60) / max),
        )
    };
    let legend_h = 16 * series.len() as i64;
    let total_h = H + legend_h;
    let mut svg = format!(
        "<figure><figcaption>{}</figcaption><svg class=\"chart\" role=\"img\" aria-label=\"{}\" width=\"{W}\" height=\"{total_h}\" viewBox=\"0 0 {W} {total_h}\"><line x1=\"{PAD}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" class=\"axis\"/>",
        esc(title),
        esc(title),
        H - 30,
        W - PAD,
        H - 30
    );
    for (k, (name, values)) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let (x, y) = xy(i, *v);
                format!("{x},{y}")
            })
            .collect();
        svg.push_str(&format!(
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"><title>{}</title></polyline>",
            points.join(" "),
            esc(name)
        ));
        let top = H + 12 + 16 * k as i64;
        svg.push_str(&format!(
            "<rect x=\"{PAD}\" y=\"{}\" width=\"12\" height=\"4\" fill=\"{colour}\"/><text x=\"{}\" y=\"{top}\" class=\"lbl\">{}</text>",
            top - 6,
            PAD + 18,
            esc(name)
        ));
    }
    if let (Some(first), Some(last)) = (periods.first(), periods.last()) {
        svg.push_str(&format!(
            "<text x=\"{PAD}\" y=\"{}\" class=\"lbl\">{}</text><text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text><text x=\"{PAD}\" y=\"16\" class=\"lbl\">max ${}</text>",
            H - 10,
            esc(first),
            W - PAD,
            H - 10,
            esc(last),
            money_text(max)
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Named series of values over the same periods.
type Series = Vec<(String, Vec<i64>)>;

/// The series of a trend report: the eight largest keys and the rest summed as `other`.
fn trend_series(report: &Report) -> Option<(Vec<String>, Series)> {
    let start = column(report, "period_start")?;
    let key = 2;
    let amount = column(report, "amount_usd")?;
    let mut periods: Vec<String> = report.rows.iter().map(|r| r[start].to_plain()).collect();
    periods.dedup();
    let index: std::collections::HashMap<&str, usize> = periods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.as_str(), i))
        .collect();
    let mut by_key: std::collections::BTreeMap<String, Vec<i64>> =
        std::collections::BTreeMap::new();
    for r in &report.rows {
        let values = by_key
            .entry(r[key].to_plain())
            .or_insert_with(|| vec![0; periods.len()]);
        values[index[r[start].to_plain().as_str()]] += cents(&r[amount]);
    }
    let mut keys: Vec<(String, Vec<i64>)> = by_key.into_iter().collect();
    keys.sort_by_key(|(_, v)| std::cmp::Reverse(v.iter().sum::<i64>()));
    let mut series: Vec<(String, Vec<i64>)> = keys.iter().take(8).cloned().collect();
    if keys.len() > 8 {
        let mut other = vec![0; periods.len()];
        for (_, v) in &keys[8..] {
            for (o, x) in other.iter_mut().zip(v) {
                *o += x;
            }
        }
        series.push(("other".into(), other));
    }
    Some((periods, series))
}

/// The classes of column `i`'s cells: `num` for numbers (right-aligned), `wide` for the
/// columns a phone-width page leaves out so the first column and the amount stay in view
/// (the CSV and a wider screen have them all).
pub fn cell_class(report: &Report, i: usize) -> &'static str {
    let shown: Vec<usize> = (0..report.columns.len())
        .filter(|&c| report.columns[c].in_table)
        .collect();
    let money = shown
        .iter()
        .copied()
        .find(|&c| report.columns[c].name == "amount_usd")
        .or_else(|| {
            shown
                .iter()
                .copied()
                .find(|&c| report.columns[c].kind == Kind::Money)
        });
    let essential = shown.first() == Some(&i) || money == Some(i);
    match (report.columns[i].kind == Kind::Text, essential) {
        (true, true) => "",
        (true, false) => "wide",
        (false, true) => "num",
        (false, false) => "num wide",
    }
}

/// ` class="…"` for column `i`, or nothing.
pub fn class_attr(report: &Report, i: usize) -> String {
    match cell_class(report, i) {
        "" => String::new(),
        c => format!(" class=\"{c}\""),
    }
}

/// The columns a table shows (detail columns stay in the CSV), by index.
pub fn table_columns(report: &Report) -> Vec<usize> {
    (0..report.columns.len())
        .filter(|&i| report.columns[i].in_table)
        .collect()
}

/// The heading cells of `columns`: each column's words, its name as the tooltip, and its
/// alignment class (the page and the dashboard head their tables alike).
pub fn header_cells(report: &Report, columns: &[usize]) -> String {
    let mut html = String::new();
    for &i in columns {
        let column = &report.columns[i];
        html.push_str(&format!(
            "<th title=\"{}\"{}>{}</th>",
            esc(&column.name),
            class_attr(report, i),
            esc(&heading(&column.name))
        ));
    }
    html
}

/// A report as a table of the columns a reader needs (detail columns stay in the CSV),
/// headed in words, money with thousands separators, in a box that scrolls sideways on a
/// narrow screen instead of spilling over the page.
pub fn table(report: &Report) -> String {
    let shown_cols = table_columns(report);
    let mut html = String::from("<div class=\"scroll\"><table><thead><tr>");
    html.push_str(&header_cells(report, &shown_cols));
    html.push_str("</tr></thead><tbody>");
    let row = |cells: &[Cell], class: &str| -> String {
        let mut row = format!("<tr class=\"{class}\">");
        for &i in &shown_cols {
            let col = &report.columns[i];
            let cell = cells.get(i).unwrap_or(&Cell::Empty);
            row.push_str(&format!(
                "<td{}>{}</td>",
                class_attr(report, i),
                esc(&shown(cell, col.kind))
            ));
        }
        row.push_str("</tr>");
        row
    };
    for cells in &report.rows {
        html.push_str(&row(cells, ""));
    }
    if let Some(total) = &report.total {
        html.push_str(&row(total, "total"));
    }
    html.push_str("</tbody></table></div>");
    html
}

/// (label, cents) of two columns of a report, at most `limit` rows (what a chart draws).
pub fn items(report: &Report, label: &str, value: &str, limit: usize) -> Vec<(String, i64)> {
    let (Some(l), Some(v)) = (column(report, label), column(report, value)) else {
        return Vec::new();
    };
    report
        .rows
        .iter()
        .take(limit)
        .map(|r| (r[l].to_plain(), cents(&r[v])))
        .collect()
}

/// The charts that can be drawn from the reports of a run.
fn charts(reports: &[(&Report, &str)]) -> Vec<String> {
    let mut out = Vec::new();
    for (report, name) in reports {
        match *name {
            n if n.starts_with("chargeback") => {
                let level = report
                    .columns
                    .get(1)
                    .map_or("cost_center", |c| c.name.as_str());
                // A cost center is labelled with its code and its name (the first attribute
                // the mapping gives it, e.g. its department).
                let name_col = (level == "cost_center")
                    .then(|| report.columns.get(2))
                    .flatten()
                    .filter(|c| c.kind == Kind::Text && c.name != "users")
                    .map(|c| c.name.clone());
                let mut labelled = items(report, level, "amount_usd", 60);
                if let (Some(nc), Some(ni)) = (
                    name_col.as_deref(),
                    name_col.as_deref().and_then(|n| column(report, n)),
                ) {
                    let _ = nc;
                    for (item, r) in labelled.iter_mut().zip(&report.rows) {
                        let name = r[ni].to_plain();
                        if !name.is_empty() {
                            item.0 = format!("{} · {name}", item.0);
                        }
                    }
                }
                out.push(bars(
                    &format!("Cost by {}", heading(level).to_lowercase()),
                    &labelled,
                    "$",
                ));
            }
            "daily" => out.push(line(
                "Cost by day",
                &items(report, "date", "amount_usd", 400),
            )),
            "model_mix" => {
                let mut by_model: std::collections::BTreeMap<String, i64> =
                    std::collections::BTreeMap::new();
                for (m, v) in items(report, "model", "amount_usd", usize::MAX) {
                    *by_model.entry(m).or_default() += v;
                }
                let mut v: Vec<(String, i64)> = by_model.into_iter().collect();
                v.sort_by_key(|x| std::cmp::Reverse(x.1));
                out.push(bars("Model mix", &v, "$"));
            }
            "context_window_teams" => {
                let level = report
                    .columns
                    .first()
                    .map_or("cost_center", |c| c.name.as_str());
                out.push(bars(
                    "Share of tokens in the 200K-1M window",
                    &items(report, level, "long_context_share_pct", 60),
                    "%",
                ));
            }
            n if n.starts_with("trend") => {
                if let Some((periods, series)) = trend_series(report) {
                    let level = report
                        .columns
                        .get(2)
                        .map_or("cost_center", |c| c.name.as_str());
                    out.push(lines(
                        &format!("Cost per period by {level}"),
                        &periods,
                        &series,
                    ));
                }
            }
            n if n.starts_with("forecast") => {
                let level = report
                    .columns
                    .first()
                    .map_or("cost_center", |c| c.name.as_str());
                let rows: Vec<(String, i64)> = items(report, level, "forecast_usd", 60)
                    .into_iter()
                    .filter(|(k, _)| k != "TOTAL")
                    .collect();
                out.push(bars("Forecast for the month", &rows, "$"));
            }
            n if n.starts_with("adoption") && n != "adoption_org" => {
                let level = report
                    .columns
                    .get(1)
                    .map_or("cost_center", |c| c.name.as_str());
                let rows: Vec<(String, i64)> = items(report, level, "utilization_pct", 60)
                    .into_iter()
                    .filter(|(k, _)| k != "TOTAL" && k != "UNMAPPED")
                    .collect();
                out.push(bars(
                    "Utilization by team (active users over headcount)",
                    &rows,
                    "%",
                ));
            }
            "alerts" if !report.rows.is_empty() => {
                let rules = items(report, "rule", "amount_usd", 15);
                let labelled: Vec<(String, i64)> = items(report, "key", "amount_usd", 15)
                    .into_iter()
                    .zip(rules)
                    .map(|((k, v), (r, _))| (format!("{k} · {r}"), v))
                    .collect();
                out.push(bars("Dollars at stake per alert", &labelled, "$"));
            }
            "top_spenders" => out.push(bars(
                "Top spenders",
                &items(report, "email", "amount_usd", 15),
                "$",
            )),
            _ => {}
        }
    }
    out
}

/// The pages' style sheet (the dashboard serves the same one as a file).
pub const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem;color:#1b1f24;max-width:1200px}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}\
.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:600;font-size:.85rem}\
.settled{background:#dafbe1;color:#116329}.provisional{background:#fff8c5;color:#7d4e00}.incomplete{background:#ffebe9;color:#a40e26}\
.meta{color:#57606a;font-size:.9rem}.scroll{max-width:100%;overflow-x:auto}table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0 1rem}\
th,td{border:1px solid #d0d7de;padding:.2rem .45rem;vertical-align:top}th{background:#f6f8fa;text-align:left}th.num{text-align:right}\
td{overflow-wrap:break-word;max-width:22rem}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}\
svg.chart{max-width:100%;height:auto}\
@media (max-width:700px){body{margin:.6rem}h1{font-size:1.2rem}table{font-size:.72rem}.wide{display:none}}\
tr.total td{font-weight:700;background:#f6f8fa}figure{margin:1rem 0;break-inside:avoid}figcaption{font-weight:600;margin-bottom:.3rem}\
.bar{fill:#3b6fb6}.trend{fill:none;stroke:#3b6fb6;stroke-width:2}.dot{fill:#3b6fb6}.axis{stroke:#8c959f}\
.lbl{font-size:11px;fill:#1b1f24}.val{font-size:11px;fill:#57606a}.notes{font-size:.85rem;color:#57606a}\
@media print{body{margin:0;max-width:none}h2{break-after:avoid}table{break-inside:auto}tr{break-inside:avoid}}";

/// Writes one self-contained HTML page with every report of the run.
pub fn write(title: &str, reports: &[(&Report, &str)], w: &mut dyn Write) -> std::io::Result<()> {
    let status = reports
        .first()
        .map_or(allot_core::Status::Provisional, |(r, _)| r.status);
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body>",
        esc(title)
    );
    h.push_str(&format!(
        "<h1>{} <span class=\"status {}\">{}</span></h1>",
        esc(title),
        status.as_str(),
        status.as_str().to_uppercase()
    ));
    if let Some((first, _)) = reports.first() {
        let meta: Vec<String> = first
            .meta
            .iter()
            .map(|(k, v)| {
                let value = if k.ends_with("_usd") {
                    allot_core::shared::parse_cents(v)
                        .map_or_else(|_| v.clone(), |c| format!("${}", money_text(c)))
                } else if k.ends_with("_pct") {
                    format!("{v}%")
                } else {
                    v.clone()
                };
                let name = heading(k.trim_end_matches("_usd").trim_end_matches("_pct"));
                format!("{}: <b>{}</b>", esc(&name), esc(&value))
            })
            .collect();
        h.push_str(&format!(
            "<p class=\"meta\">{}</p>",
            meta.join(" &middot; ")
        ));
    }
    for chart in charts(reports) {
        h.push_str(&chart);
    }
    for (report, _) in reports {
        h.push_str(&format!("<h2>{}</h2>", esc(&report.title)));
        for note in &report.notes {
            h.push_str(&format!(
                "<p class=\"notes\">{}</p>",
                esc(&note_in_words(report, &note.text))
            ));
        }
        h.push_str(&table(report));
    }
    h.push_str("<p class=\"meta\">Made by allot. Money is exact to the cent; rows add up to their totals.</p></body></html>\n");
    w.write_all(h.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_reads_like_money_and_headings_like_words() {
        assert_eq!(money_text(1_981_691), "19,816.91");
        assert_eq!(money_text(-123_456_789), "-1,234,567.89");
        assert_eq!(money_text(5), "0.05");
        assert_eq!(heading("cost_per_commit_usd"), "Cost per commit ($)");
        assert_eq!(heading("coverage_pct"), "Coverage (%)");
        assert_eq!(heading("cost_200k_1m_usd"), "Cost 200K-1M ($)");
        assert_eq!(heading("cost_center"), "Cost center");
    }
}
