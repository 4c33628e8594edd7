//! HTML for the dashboard: one layout (navigation, breadcrumbs, the status badge), tables whose
//! cells link to the page below them and carry a CSV link of exactly their rows, and the same
//! inline SVG charts as the report pages. Nothing is loaded from elsewhere: the style sheet and
//! the small table-sorting script are served by the dashboard itself.

use allot_app::Named;
use allot_core::{Month, Status};
use allot_report::html_out::{esc, shown};
use allot_report::Cell;

/// The style sheet: the report pages' style and the dashboard's own.
pub fn style() -> String {
    format!(
        "{}{}",
        allot_report::html_out::STYLE,
        "nav.top{display:flex;flex-wrap:wrap;gap:.3rem 1rem;padding:.5rem 0;border-bottom:1px solid #d0d7de;margin-bottom:.8rem;font-size:.92rem}\
nav.top a{color:#0b4f9c;text-decoration:none}nav.top a.here{font-weight:700;color:#1b1f24}\
nav.months{font-size:.8rem;color:#57606a;margin:.2rem 0 .8rem}nav.months a{color:#0b4f9c;margin-right:.45rem}\
.crumbs{font-size:.85rem;color:#57606a;margin:.2rem 0}.crumbs a{color:#0b4f9c}\
.cards{display:flex;flex-wrap:wrap;gap:.8rem;margin:1rem 0}.card{border:1px solid #d0d7de;border-radius:.4rem;padding:.6rem .9rem;min-width:11rem}\
.card .k{font-size:.78rem;color:#57606a}.card .v{font-size:1.25rem;font-weight:650;font-variant-numeric:tabular-nums}.card .s{font-size:.78rem;color:#57606a}\
td a{color:#0b4f9c;text-decoration:none}td a:hover{text-decoration:underline}\
.csv{font-size:.8rem;margin:.2rem 0}.csv a{color:#0b4f9c}th[data-sort]{cursor:pointer}\
.warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:.3rem;padding:.4rem .6rem;font-size:.85rem}\
footer{margin-top:2.5rem;font-size:.8rem;color:#57606a;border-top:1px solid #d0d7de;padding-top:.5rem}"
    )
}

/// Sorts a table when its header is clicked (numbers by value, text alphabetically); the
/// total line stays last. Pages are complete without it.
pub const SORT_JS: &str = r"document.addEventListener('DOMContentLoaded',function(){
document.querySelectorAll('table.sortable').forEach(function(t){
t.querySelectorAll('th').forEach(function(th,i){th.setAttribute('data-sort','');th.addEventListener('click',function(){
var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows).filter(function(r){return !r.classList.contains('total')});
var tot=Array.prototype.slice.call(b.rows).filter(function(r){return r.classList.contains('total')});
var num=th.classList.contains('num'),dir=th.getAttribute('data-dir')==='asc'?-1:1;th.setAttribute('data-dir',dir===1?'asc':'desc');
var v=function(r){var s=r.cells[i]?r.cells[i].textContent.trim():'';if(!num)return s;var n=parseFloat(s.replace(/[,$%]/g,''));return isNaN(n)?-Infinity:n};
rows.sort(function(a,c){var x=v(a),y=v(c);return (x<y?-1:x>y?1:0)*dir});
rows.concat(tot).forEach(function(r){b.appendChild(r)});});});});});
";

/// Percent-encodes a path segment (keeps letters, digits, `-._~@+`).
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@+".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What a cell links to: (column name, cell text) -> URL.
pub type Linker<'a> = &'a dyn Fn(&str, &str) -> Option<String>;

/// A report as a sortable table, cells linked by `link`, with its CSV link.
pub fn table(named: &Named, link: Linker<'_>) -> String {
    let report = &named.report;
    let cols = allot_report::html_out::table_columns(report);
    let mut h = format!(
        "<p class=\"csv\"><a href=\"?csv={}\">CSV</a> of these {} (all columns)</p><div class=\"scroll\"><table class=\"sortable\" id=\"t-{}\"><thead><tr>",
        enc(&named.name),
        plural_rows(report.rows.len()),
        esc(&named.name)
    );
    h.push_str(&allot_report::html_out::header_cells(report, &cols));
    h.push_str("</tr></thead><tbody>");
    let row = |cells: &[Cell], class: &str, linked: bool| -> String {
        let mut r = format!("<tr class=\"{class}\">");
        for &i in &cols {
            let col = &report.columns[i];
            let cell = cells.get(i).unwrap_or(&Cell::Empty);
            let text = shown(cell, col.kind);
            let inner = match (linked, cell) {
                (true, Cell::Text(t)) => match link(&col.name, t) {
                    Some(url) => format!("<a href=\"{}\">{}</a>", esc(&url), esc(&text)),
                    None => esc(&text),
                },
                _ => esc(&text),
            };
            r.push_str(&format!(
                "<td{}>{inner}</td>",
                allot_report::html_out::class_attr(report, i)
            ));
        }
        r.push_str("</tr>");
        r
    };
    for cells in report.rows.iter().take(MAX_ROWS) {
        h.push_str(&row(cells, "", true));
    }
    if let Some(total) = &report.total {
        h.push_str(&row(total, "total", false));
    }
    h.push_str("</tbody></table></div>");
    if report.rows.len() > MAX_ROWS {
        h.push_str(&format!(
            "<p class=\"notes\">The first {MAX_ROWS} of {} rows are shown; the <a href=\"?csv={}\">CSV</a> has every row.</p>",
            report.rows.len(),
            enc(&named.name)
        ));
    }
    h
}

/// The most rows a page shows of one table (the CSV always has them all).
pub const MAX_ROWS: usize = 500;

fn plural_rows(n: usize) -> String {
    if n == 1 {
        "1 row".into()
    } else {
        format!("{n} rows")
    }
}

/// A report's section: heading, the notes the page has not said yet, then the table.
pub fn section(
    named: &Named,
    said: &[allot_report::Note],
    link: Linker<'_>,
    charts: &[String],
) -> String {
    let mut h = format!(
        "<section id=\"{}\"><h2>{}</h2>",
        esc(&named.name),
        esc(&named.report.title)
    );
    for note in &named.report.notes {
        if !said.contains(note) {
            h.push_str(&format!(
                "<p class=\"notes\">{}</p>",
                esc(&allot_report::html_out::note_in_words(
                    &named.report,
                    &note.text
                ))
            ));
        }
    }
    for c in charts {
        h.push_str(c);
    }
    h.push_str(&table(named, link));
    h.push_str("</section>");
    h
}

/// A headline figure.
pub fn card(key: &str, value: &str, sub: &str) -> String {
    format!(
        "<div class=\"card\"><div class=\"k\">{}</div><div class=\"v\">{}</div><div class=\"s\">{}</div></div>",
        esc(key),
        esc(value),
        esc(sub)
    )
}

/// The status badge.
pub fn badge(status: Status) -> String {
    format!(
        "<span class=\"status {}\">{}</span>",
        status.as_str(),
        status.as_str().to_uppercase()
    )
}

/// What every page has around its body.
pub struct Frame<'a> {
    /// The page's title.
    pub title: &'a str,
    /// Its status badge, when its figures have one.
    pub status: Option<Status>,
    /// Breadcrumbs: (label, URL), top first.
    pub crumbs: &'a [(String, String)],
    /// The month the navigation points at.
    pub month: Option<Month>,
    /// Every month in the store.
    pub months: &'a [Month],
    /// Whether invoices were given (the reconciliation link).
    pub invoices: bool,
    /// Which navigation entry is this page.
    pub here: &'a str,
    /// The footer's line.
    pub footer: &'a str,
}

/// A whole page.
pub fn page(f: &Frame<'_>, body: &str) -> String {
    let mut h = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · allot</title><link rel=\"stylesheet\" href=\"/assets/style.css\"><script src=\"/assets/sort.js\" defer></script></head><body><nav class=\"top\">",
        esc(f.title)
    );
    let mut nav = vec![("overview", "Overview".to_string(), "/".to_string())];
    if let Some(m) = f.month {
        nav.push(("month", format!("Month {m}"), format!("/month/{m}")));
        nav.push(("reviews", "Reviews".into(), format!("/month/{m}/reviews")));
        nav.push((
            "adoption",
            "Adoption".into(),
            format!("/month/{m}/adoption"),
        ));
        nav.push((
            "restatements",
            "Restatements".into(),
            format!("/month/{m}/restatements"),
        ));
    }
    nav.push(("trend", "Trend".into(), "/trend".into()));
    nav.push(("forecast", "Forecast".into(), "/forecast".into()));
    if f.invoices {
        nav.push((
            "reconciliation",
            "Reconciliation".into(),
            "/reconciliation".into(),
        ));
    }
    for (id, label, url) in nav {
        h.push_str(&format!(
            "<a href=\"{}\"{}>{}</a>",
            esc(&url),
            if id == f.here { " class=\"here\"" } else { "" },
            esc(&label)
        ));
    }
    h.push_str("</nav>");
    if !f.months.is_empty() {
        h.push_str("<nav class=\"months\">Months: ");
        for m in f.months.iter().rev() {
            h.push_str(&format!("<a href=\"/month/{m}\">{m}</a>"));
        }
        h.push_str("</nav>");
    }
    if !f.crumbs.is_empty() {
        let parts: Vec<String> = f
            .crumbs
            .iter()
            .map(|(label, url)| format!("<a href=\"{}\">{}</a>", esc(url), esc(label)))
            .collect();
        h.push_str(&format!("<p class=\"crumbs\">{}</p>", parts.join(" › ")));
    }
    h.push_str(&format!(
        "<h1>{} {}</h1>",
        esc(f.title),
        f.status.map(badge).unwrap_or_default()
    ));
    h.push_str(body);
    h.push_str(&format!(
        "<footer>{} Money is exact to the cent; every table's rows add up to the figures shown for them, and equal the CLI's reports.</footer></body></html>\n",
        esc(f.footer)
    ));
    h
}

/// A short page for a request that cannot be answered (404, 400, 401, 500), linking back.
pub fn problem(title: &str, message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} · allot</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><h1>{}</h1><p>{}</p><p><a href=\"/\">Back to the overview</a></p></body></html>\n",
        esc(title),
        esc(title),
        esc(message)
    )
}

/// The sign-in form (posts the token; the token is never written into a page).
pub fn login(message: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Sign in · allot</title><link rel=\"stylesheet\" href=\"/assets/style.css\"></head><body><h1>Sign in to allot</h1><p>{}</p><form method=\"post\" action=\"/login\"><label>Token <input type=\"password\" name=\"token\" autocomplete=\"current-password\" required></label> <button type=\"submit\">Sign in</button></form><p class=\"notes\">Or open the one-time link <code>allot serve</code> printed when it started.</p></body></html>\n",
        esc(message)
    )
}
