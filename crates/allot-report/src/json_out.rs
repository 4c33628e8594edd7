//! JSON: `{ "report", "status", meta..., "columns", "rows": [{column: value}], "total", "notes" }`.
//! Money is a string with two decimals so no reader turns it into a float.

use std::io::Write;

use serde_json::{Map, Value};

use crate::model::{Cell, Report};

fn value(cell: &Cell) -> Value {
    match cell {
        Cell::Text(s) => Value::String(s.clone()),
        Cell::Int(i) => Value::from(*i),
        Cell::Cents(_) | Cell::Pct(_) | Cell::Exact(_) => Value::String(cell.to_plain()),
        Cell::Empty => Value::Null,
    }
}

/// The report as a JSON value.
pub fn to_value(report: &Report) -> Value {
    let row = |cells: &[Cell]| -> Value {
        let mut m = Map::new();
        for (col, cell) in report.columns.iter().zip(cells) {
            m.insert(col.name.clone(), value(cell));
        }
        Value::Object(m)
    };
    let mut top = Map::new();
    top.insert("report".into(), Value::String(report.title.clone()));
    top.insert("status".into(), Value::String(report.status.to_string()));
    for (k, v) in &report.meta {
        top.insert(k.clone(), Value::String(v.clone()));
    }
    top.insert(
        "columns".into(),
        Value::Array(
            report
                .columns
                .iter()
                .map(|c| Value::String(c.name.clone()))
                .collect(),
        ),
    );
    top.insert(
        "rows".into(),
        Value::Array(report.rows.iter().map(|r| row(r)).collect()),
    );
    if let Some(total) = &report.total {
        top.insert("total".into(), row(total));
    }
    top.insert(
        "notes".into(),
        Value::Array(
            report
                .notes
                .iter()
                .map(|n| Value::String(n.text.clone()))
                .collect(),
        ),
    );
    Value::Object(top)
}

/// Writes the report as pretty-printed JSON.
pub fn write(report: &Report, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, &to_value(report))?;
    w.write_all(b"\n")
}
