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

fn column(report: &Report, name: &str) -> Option<usize> {
    report.columns.iter().position(|c| c.name == name)
}

fn cents(cell: &Cell) -> i64 {
    match cell {
        Cell::Cents(c) | Cell::Pct(c) | Cell::Int(c) => *c,
        _ => 0,
    }
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
        let y = 10 + ROW * i as i64;
        let w = (*v).max(0) * WIDTH / max;
        let value = if unit == "%" {
            format!("{}%", format_cents(*v))
        } else {
            format!("${}", format_cents(*v))
        };
        svg.push_str(&format!(
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"lbl\">{}</text><rect x=\"{LABEL}\" y=\"{y}\" width=\"{}\" height=\"{}\" class=\"bar\"/><text x=\"{}\" y=\"{}\" class=\"val\">{}</text>",
            LABEL - 8,
            y + 14,
            esc(label),
            w.max(1),
            ROW - 6,
            LABEL + w + 6,
            y + 14,
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
    let n = points.len().max(2) as i64;
    let xy = |i: usize, v: i64| {
        (
            PAD + (W - 2 * PAD) * i as i64 / (n - 1),
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
            format_cents(max)
        ));
    }
    svg.push_str("</svg></figure>");
    svg
}

fn table(report: &Report) -> String {
    let mut h = String::from("<table><thead><tr>");
    for c in &report.columns {
        h.push_str(&format!("<th>{}</th>", esc(&c.name)));
    }
    h.push_str("</tr></thead><tbody>");
    let row = |cells: &[Cell], class: &str| -> String {
        let mut r = format!("<tr class=\"{class}\">");
        for (cell, col) in cells.iter().zip(&report.columns) {
            let num = col.kind != Kind::Text;
            r.push_str(&format!(
                "<td{}>{}</td>",
                if num { " class=\"num\"" } else { "" },
                esc(&cell.to_plain())
            ));
        }
        r.push_str("</tr>");
        r
    };
    for cells in &report.rows {
        h.push_str(&row(cells, ""));
    }
    if let Some(total) = &report.total {
        h.push_str(&row(total, "total"));
    }
    h.push_str("</tbody></table>");
    h
}

fn items(report: &Report, label: &str, value: &str, limit: usize) -> Vec<(String, i64)> {
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
            "chargeback" => {
                let level = report
                    .columns
                    .get(1)
                    .map_or("cost_center", |c| c.name.as_str());
                out.push(bars(
                    &format!("Cost by {level}"),
                    &items(report, level, "amount_usd", 60),
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

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:2rem;color:#1b1f24;max-width:1200px}\
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}\
.status{display:inline-block;padding:.1rem .5rem;border-radius:.3rem;font-weight:600;font-size:.85rem}\
.settled{background:#dafbe1;color:#116329}.provisional{background:#fff8c5;color:#7d4e00}\
.meta{color:#57606a;font-size:.9rem}table{border-collapse:collapse;font-size:.8rem;margin:.5rem 0 1rem}\
th,td{border:1px solid #d0d7de;padding:.2rem .45rem}th{background:#f6f8fa;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}\
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
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>",
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
            .map(|(k, v)| format!("{}: <b>{}</b>", esc(k), esc(v)))
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
            h.push_str(&format!("<p class=\"notes\">{}</p>", esc(note)));
        }
        h.push_str(&table(report));
    }
    h.push_str("<p class=\"meta\">Made by allot. Money is exact to the cent; rows add up to their totals.</p></body></html>\n");
    w.write_all(h.as_bytes())
}
