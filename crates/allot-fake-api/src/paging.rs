//! Cursor pagination as the API documents it: opaque cursors bound to the query that issued
//! them (400 when reused with another), expiring on demand (410), `limit` within its bounds.

use std::sync::atomic::Ordering;

use axum::http::StatusCode;
use serde_json::Value;

use crate::{ApiError, State, Units};

/// Where a request starts and how much it takes.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    /// Units already served.
    pub offset: usize,
    /// Units to serve.
    pub limit: usize,
    /// The hash of the query the cursor is bound to.
    pub hash: u64,
}

/// A stable hash of the query without its cursor and page size: cursors are bound to it.
pub fn query_hash(path: &str, params: &[(String, String)]) -> u64 {
    let mut v: Vec<&(String, String)> = params
        .iter()
        .filter(|(k, _)| k != "page" && k != "limit")
        .collect();
    v.sort();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = path.bytes().chain(v.into_iter().flat_map(|(k, val)| {
        k.bytes()
            .chain([b'='])
            .chain(val.bytes())
            .chain([b'&'])
            .collect::<Vec<u8>>()
    }));
    for b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The first value of query parameter `k`.
pub fn param<'a>(params: &'a [(String, String)], k: &str) -> Option<&'a str> {
    params.iter().find(|(p, _)| p == k).map(|(_, v)| v.as_str())
}

/// Reads `limit` and `page` of a request to `path`.
pub fn page(
    state: &State,
    path: &str,
    params: &[(String, String)],
    default_limit: usize,
    max_limit: usize,
) -> Result<Page, ApiError> {
    let limit = match param(params, "limit") {
        None => default_limit,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|l| (1..=max_limit).contains(l))
            .ok_or_else(|| {
                ApiError::bad_request(format!("limit `{l}` must be 1 to {max_limit}"))
            })?,
    };
    let hash = query_hash(path, params);
    let offset = match param(params, "page") {
        None => 0,
        Some(page) => {
            let request = state.cursor_requests.fetch_add(1, Ordering::SeqCst) + 1;
            if let Some(every) = state.config.faults.expire_cursor_every {
                // Data refreshes expire a query's cursors once; the restarted pagination
                // then runs to its end, as it would against the real API.
                if every > 0
                    && request.is_multiple_of(every)
                    && state.expired.lock().expect("expired").insert(hash)
                {
                    return Err(ApiError::new(
                        StatusCode::GONE,
                        "invalid_request_error",
                        "The page cursor is no longer valid. Restart pagination from the first page.",
                    ));
                }
            }
            let (h, off) = page
                .strip_prefix("page_")
                .and_then(|p| p.split_once('_'))
                .and_then(|(h, o)| {
                    Some((u64::from_str_radix(h, 16).ok()?, o.parse::<usize>().ok()?))
                })
                .ok_or_else(|| {
                    ApiError::bad_request(format!("page `{page}` is not a cursor this API issued"))
                })?;
            if h != hash {
                return Err(ApiError::bad_request(
                    "the page cursor does not match the current query parameters",
                ));
            }
            off
        }
    };
    Ok(Page {
        offset,
        limit,
        hash,
    })
}

/// A row kept as JSON text, as the answer's value.
fn row(text: &str) -> Value {
    serde_json::from_str(text).expect("the fake's own JSON")
}

/// The rows of one page (units flattened: fan-out rows stay together) and the next cursor.
pub fn slice(units: &Units, p: Page) -> (Vec<Value>, Option<String>) {
    let rows: Vec<Value> = units
        .iter()
        .skip(p.offset)
        .take(p.limit)
        .flat_map(|u| u.iter().map(|r| row(r)))
        .collect();
    let next = (p.offset + p.limit).min(units.len());
    let cursor = (next < units.len()).then(|| format!("page_{:016x}_{next}", p.hash));
    (rows, cursor)
}

/// A cursor's offset into a query served a day at a time: the day's index in the window in
/// the high bits, the units of that day already served in the low ones.
const DAY_BITS: u32 = 32;

/// The rows of one page of a query whose units are ordered by day first, made one day at a
/// time (`units_of(day)`, for the window's `days` in order): only the days the page touches
/// are made, so a month of a large organisation is never held whole. Pages cross days as one
/// list would, so a client makes the same requests as for [`slice`].
pub fn slice_days(
    days: &[chrono::NaiveDate],
    p: Page,
    units_of: impl Fn(chrono::NaiveDate) -> Units,
) -> (Vec<Value>, Option<String>) {
    let mask = (1usize << DAY_BITS) - 1;
    let (mut day, mut at) = (p.offset >> DAY_BITS, p.offset & mask);
    let mut rows = Vec::new();
    let mut taken = 0;
    // Take up to `limit` units, then move past exhausted days so the cursor points at a unit
    // that exists (no page ends with a cursor to nothing).
    while day < days.len() {
        let units = units_of(days[day]);
        while taken < p.limit && at < units.len() {
            rows.extend(units[at].iter().map(|r| row(r)));
            at += 1;
            taken += 1;
        }
        if at < units.len() {
            break;
        }
        day += 1;
        at = 0;
    }
    let cursor =
        (day < days.len()).then(|| format!("page_{:016x}_{}", p.hash, (day << DAY_BITS) | at));
    (rows, cursor)
}

/// One page of the query `path` (hash in `p`) over `[start, end)`: made a day at a time when it
/// has a row per day (`daily`; its units ordered by day first), else whole. `make(from, to,
/// daily)` makes the units of a range.
pub fn page_of(
    state: &State,
    path: &str,
    p: Page,
    (start, end): (chrono::NaiveDate, chrono::NaiveDate),
    daily: bool,
    make: impl Fn(chrono::NaiveDate, chrono::NaiveDate, bool) -> Vec<Vec<Value>>,
) -> (Vec<Value>, Option<String>) {
    if daily {
        let window: Vec<chrono::NaiveDate> = crate::truth::days(start, end).collect();
        slice_days(&window, p, |day| {
            state.units(&format!("{path}|{}|{day}", p.hash), || {
                make(day, day + chrono::Duration::days(1), true)
            })
        })
    } else {
        let units = state.units(&format!("{path}|{}", p.hash), || make(start, end, false));
        slice(&units, p)
    }
}
