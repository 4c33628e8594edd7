//! A CSV scanner made for fact files: it reads the file in blocks, finds lines and fields with
//! SIMD byte search (memchr), parses only the columns a load asks for straight from the bytes
//! (dates, exact money, counts), and aggregates each block on all cores into the same rows the
//! polars scan produces (one per raw email, day and dimension values). Memory stays bounded by
//! the block size, whatever the file's size.
//!
//! It handles quoted fields (including commas, doubled quotes and line breaks inside them),
//! CRLF line ends, a byte-order mark and blank lines. Anything it does not expect (a bad
//! value, a short row, a stray quote) makes it give up, and the load falls back to polars'
//! reader and then to the precise reader that names file, line, column and value.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::sync::Mutex;

use allot_core::date::{parse_date_bytes, to_epoch_days};
use allot_core::money::{parse_usd_bytes, AmountError};
use foldhash::fast::FixedState;
use polars::prelude::*;

use crate::fold::{frame, Groups, Interner, Key};
use crate::spec::Spec;

/// Bytes read per block.
const BLOCK: usize = 32 << 20;

/// Why the scanner gave up (the polars reader and the precise reader take over).
#[derive(Debug)]
pub(crate) struct GiveUp;

/// What the scan tallied outside polars.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Tallied {
    pub cost: i128,
    pub facts: u64,
    pub min_day: Option<i32>,
    pub max_day: Option<i32>,
}

/// Where each wanted column is in a row.
struct Layout {
    date: usize,
    email: usize,
    dims: Vec<Option<usize>>,
    counts: Vec<Option<usize>>,
    never_negative: Vec<bool>,
    money: Vec<Option<usize>>,
    /// Fields to read per row (the highest wanted index + 1).
    needed: usize,
    /// Fields every row has.
    width: usize,
    /// How finely days are kept.
    grain: crate::fold::Grain,
}

/// A scanned file: its groups, the cost of each day, what was tallied.
pub(crate) type Scanned = (DataFrame, Vec<(i32, i128)>, Tallied);

/// A thread's memory of the ids it has seen, kept from block to block.
#[derive(Default)]
struct Caches {
    emails: HashMap<Box<[u8]>, u32, FixedState>,
    values: HashMap<Box<[u8]>, u32, FixedState>,
    spanner: crate::fold::Spanner,
}

/// Scans `path` as `spec` asks. `Ok(None)` when the file has a shape the scanner leaves to
/// polars.
pub(crate) fn scan(
    path: &Path,
    headers: &[String],
    spec: &Spec<'_>,
) -> Result<Result<Scanned, GiveUp>, std::io::Error> {
    let Some(layout) = layout_of(headers, spec) else {
        return Ok(Err(GiveUp));
    };
    let range = (to_epoch_days(spec.range.from), to_epoch_days(spec.range.to));
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZeroUsize::get)
        .clamp(1, 8);

    let file = std::fs::File::open(path)?;
    let emails = Mutex::new(Interner::default());
    let values = Mutex::new(Interner::default());
    let _ = values.lock().expect("interner").id(b"");
    let mut groups = Groups::new(spec.counts.len(), range);
    let mut caches: Vec<Caches> = (0..threads).map(|_| Caches::default()).collect();
    let mut tally = Tallied::default();
    let outcome: Result<Result<(), GiveUp>, std::io::Error> = std::thread::scope(|scope| {
        // A reader thread reads the next block (ending at a line end) while this one parses.
        let (tx, rx) = std::sync::mpsc::sync_channel::<std::io::Result<(Vec<u8>, bool)>>(1);
        // Parsed blocks come back to be filled again: no fresh pages to fault in per block.
        let (give_back, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        scope.spawn(move || read_blocks(file, &tx, &recycled));
        let mut pending: Vec<u8> = Vec::new();
        let mut header_skipped = false;
        for received in rx {
            let (block, eof) = received?;
            let buf = if pending.is_empty() {
                block
            } else {
                pending.extend_from_slice(&block);
                std::mem::take(&mut pending)
            };
            let mut body: &[u8] = &buf;
            if !header_skipped {
                // The header line (its names were read already); a quoted header with a
                // line break inside is left to polars.
                let Some(nl) = memchr::memchr(b'\n', body) else {
                    if eof {
                        return Ok(Ok(()));
                    }
                    pending = buf;
                    continue;
                };
                if memchr::memchr(b'"', &body[..nl]).is_some() {
                    return Ok(Err(GiveUp));
                }
                body = &body[nl + 1..];
                header_skipped = true;
            }
            let quoted = memchr::memchr(b'"', body).is_some();
            let (consumed, parts) = if quoted {
                // Quotes may hide line ends: one thread walks the records.
                let mut out = Part::new(spec.counts.len(), range);
                match walk_quoted(
                    body,
                    eof,
                    &layout,
                    range,
                    (&emails, &values, &mut caches[0]),
                    &mut out,
                ) {
                    Ok(c) => (c, vec![out]),
                    Err(GiveUp) => return Ok(Err(GiveUp)),
                }
            } else {
                match walk_parallel(
                    body,
                    threads,
                    &layout,
                    range,
                    (&emails, &values),
                    &mut caches,
                ) {
                    Ok(parts) => (body.len(), parts),
                    Err(GiveUp) => return Ok(Err(GiveUp)),
                }
            };
            absorb(&mut tally, &mut groups, parts);
            // A record cut by the block's end waits for the next block.
            let offset = buf.len() - body.len() + consumed;
            if offset < buf.len() {
                if eof {
                    return Ok(Err(GiveUp));
                }
                pending = buf[offset..].to_vec();
            }
            let _ = give_back.send(buf);
        }
        Ok(Ok(()))
    });
    if let Err(GiveUp) = outcome? {
        return Ok(Err(GiveUp));
    }
    let emails = emails.into_inner().expect("interner");
    let values = values.into_inner().expect("interner");
    let days = groups.days();
    groups.seal();
    Ok(Ok((frame(&groups, spec, &emails, &values), days, tally)))
}

/// Where each column `spec` wants is among `headers`; `None` when the scanner leaves the file
/// to polars (no date or email column, more dimensions or money columns than it keeps, no
/// cost column).
fn layout_of(headers: &[String], spec: &Spec<'_>) -> Option<Layout> {
    let pos = |name: &str| headers.iter().position(|h| h == name);
    let (Some(date), Some(email)) = (pos("date"), pos("email")) else {
        return None;
    };
    if spec.dims.len() > crate::fold::MAX_DIMS || spec.money.len() > 2 {
        return None;
    }
    let layout = Layout {
        date,
        email,
        dims: spec.dims.iter().map(|d| pos(d)).collect(),
        counts: spec.counts.iter().map(|c| pos(c)).collect(),
        never_negative: spec
            .counts
            .iter()
            .map(|c| allot_core::facts::ACTIVITY_COUNTS.contains(c))
            .collect(),
        money: spec.money.iter().map(|m| pos(m)).collect(),
        needed: 0,
        width: headers.len(),
        grain: spec.grain.clone(),
    };
    let needed = [Some(date), Some(email)]
        .into_iter()
        .chain(layout.dims.iter().copied())
        .chain(layout.counts.iter().copied())
        .chain(layout.money.iter().copied())
        .flatten()
        .max()
        .unwrap_or(0)
        + 1;
    let layout = Layout { needed, ..layout };
    if layout.money.first().is_none_or(Option::is_none) {
        return None;
    }
    Some(layout)
}

/// The reader thread: sends the file's blocks (each ending at a line end, the last flagged),
/// refilling the blocks the parser gives back.
fn read_blocks(
    mut file: std::fs::File,
    tx: &std::sync::mpsc::SyncSender<std::io::Result<(Vec<u8>, bool)>>,
    recycled: &std::sync::mpsc::Receiver<Vec<u8>>,
) {
    let mut tail: Vec<u8> = Vec::new();
    loop {
        let mut block = recycled
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(BLOCK + 65_536));
        block.clear();
        block.append(&mut tail);
        let read = match (&mut file).take(BLOCK as u64).read_to_end(&mut block) {
            Ok(n) => n,
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        };
        let eof = read < BLOCK;
        if !eof {
            if let Some(i) = memchr::memrchr(b'\n', &block) {
                tail.extend_from_slice(&block[i + 1..]);
                block.truncate(i + 1);
            }
        }
        if tx.send(Ok((block, eof))).is_err() || eof {
            return;
        }
    }
}

/// Parses a block of unquoted whole lines on `threads` threads, each with its own caches.
fn walk_parallel(
    body: &[u8],
    threads: usize,
    layout: &Layout,
    range: (i32, i32),
    (emails, values): (&Mutex<Interner>, &Mutex<Interner>),
    caches: &mut [Caches],
) -> Result<Vec<Part>, GiveUp> {
    let chunks = split_lines(body, threads);
    let results: Vec<Result<Part, GiveUp>> = std::thread::scope(|s| {
        let handles: Vec<_> = chunks
            .iter()
            .zip(caches.iter_mut())
            .map(|(chunk, cache)| {
                s.spawn(move || {
                    let mut out = Part::new(layout.counts.len(), range);
                    walk_plain(chunk, layout, range, (emails, values, cache), &mut out)
                        .map(|()| out)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or(Err(GiveUp)))
            .collect()
    });
    results.into_iter().collect()
}

/// Adds parsed parts to the file's tally and groups.
fn absorb(tally: &mut Tallied, groups: &mut Groups, parts: Vec<Part>) {
    for part in parts {
        tally.cost += part.cost;
        tally.facts += part.facts;
        if let Some(lo) = part.min_day {
            tally.min_day = Some(tally.min_day.map_or(lo, |m| m.min(lo)));
        }
        if let Some(hi) = part.max_day {
            tally.max_day = Some(tally.max_day.map_or(hi, |m| m.max(hi)));
        }
        if groups.keys.is_empty() {
            *groups = part.groups;
        } else {
            groups.merge(part.groups);
        }
    }
}

/// Cuts `bytes` (whole lines) into about `n` pieces at line ends.
fn split_lines(bytes: &[u8], n: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(n);
    let mut start = 0;
    for i in 1..n {
        let target = bytes.len() * i / n;
        if target <= start {
            continue;
        }
        match memchr::memchr(b'\n', &bytes[target..]) {
            Some(off) => {
                out.push(&bytes[start..=target + off]);
                start = target + off + 1;
            }
            None => break,
        }
    }
    if start < bytes.len() {
        out.push(&bytes[start..]);
    }
    out
}

/// One thread's part of a block.
struct Part {
    groups: Groups,
    cost: i128,
    facts: u64,
    min_day: Option<i32>,
    max_day: Option<i32>,
}

impl Part {
    fn new(width: usize, range: (i32, i32)) -> Part {
        Part {
            groups: Groups::new(width, range),
            cost: 0,
            facts: 0,
            min_day: None,
            max_day: None,
        }
    }
}

/// The shared interners and a thread's caches of them.
type Ids<'c> = (&'c Mutex<Interner>, &'c Mutex<Interner>, &'c mut Caches);

/// Aggregates rows into a part: a local map, the thread's caches of the shared ids.
struct Folder<'a, 'c> {
    layout: &'a Layout,
    range: (i32, i32),
    emails: &'c Mutex<Interner>,
    values: &'c Mutex<Interner>,
    cache: &'c mut Caches,
    groups: Groups,
    grain: &'a crate::fold::Grain,
    last_date: (&'a [u8], i32),
    last_email: Option<(&'a [u8], u32)>,
    last_key: Option<(Key, usize)>,
    cost: i128,
    facts: u64,
    lo: i32,
    hi: i32,
}

/// Trims spaces and tabs around a field.
fn trim(b: &[u8]) -> &[u8] {
    let start = b
        .iter()
        .position(|c| !matches!(c, b' ' | b'\t'))
        .unwrap_or(b.len());
    let end = b
        .iter()
        .rposition(|c| !matches!(c, b' ' | b'\t'))
        .map_or(start, |e| e + 1);
    &b[start..end]
}

fn parse_count(b: &[u8]) -> Result<Option<i64>, GiveUp> {
    let b = trim(b);
    if b.is_empty() {
        return Ok(None);
    }
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return Err(GiveUp);
    }
    let value = digits
        .iter()
        .fold(0i64, |a, c| a * 10 + i64::from(c - b'0'));
    Ok(Some(if neg { -value } else { value }))
}

impl<'a, 'c> Folder<'a, 'c> {
    fn new(
        layout: &'a Layout,
        range: (i32, i32),
        (emails, values, cache): Ids<'c>,
    ) -> Folder<'a, 'c> {
        Folder {
            layout,
            range,
            emails,
            values,
            cache,
            groups: Groups::new(layout.counts.len(), range),
            grain: &layout.grain,
            last_date: (&[], 0),
            last_email: None,
            last_key: None,
            cost: 0,
            facts: 0,
            lo: i32::MAX,
            hi: i32::MIN,
        }
    }

    /// Folds one row (its fields, unquoted) into the part.
    fn row(&mut self, fields: &[&'a [u8]]) -> Result<(), GiveUp> {
        let layout = self.layout;
        let raw = trim(fields[layout.date]);
        let day = if raw == self.last_date.0 {
            self.last_date.1
        } else {
            let day = parse_date_bytes(raw).map(to_epoch_days).ok_or(GiveUp)?;
            self.last_date = (raw, day);
            day
        };
        self.lo = self.lo.min(day);
        self.hi = self.hi.max(day);
        if day < self.range.0 || day > self.range.1 {
            return Ok(());
        }
        let email_raw = fields[layout.email];
        if trim(email_raw).is_empty() {
            return Err(GiveUp);
        }
        // Exports list a person's components of a day together: most rows repeat the last
        // email and key, which then costs a comparison instead of a hash.
        let email =
            if let Some((_, id)) = self.last_email.filter(|(layout, _)| *layout == email_raw) {
                id
            } else {
                let id = match self.cache.emails.get(email_raw) {
                    Some(id) => *id,
                    None => {
                        let id = self.emails.lock().expect("interner").id(email_raw);
                        self.cache.emails.insert(email_raw.into(), id);
                        id
                    }
                };
                self.last_email = Some((email_raw, id));
                id
            };
        let mut dims = [0u32; crate::fold::MAX_DIMS];
        for (slot, col) in dims.iter_mut().zip(&layout.dims) {
            if let Some(c) = col {
                let value = fields[*c];
                *slot = match self.cache.values.get(value) {
                    Some(id) => *id,
                    None => {
                        let id = self.values.lock().expect("interner").id(value);
                        self.cache.values.insert(value.into(), id);
                        id
                    }
                };
            }
        }
        let mut money = [0i128; 2];
        let mut missing = 0u32;
        for (i, col) in layout.money.iter().enumerate() {
            let value = col.map(|c| trim(fields[c])).unwrap_or_default();
            match parse_usd_bytes(value) {
                Ok(n) => money[i] = i128::from(n),
                Err(AmountError::Empty) if i > 0 => missing += 1,
                Err(_) => return Err(GiveUp),
            }
        }
        let kept = self.cache.spanner.day(self.grain, email, email_raw, day);
        let key = Key {
            email,
            day: kept,
            dims,
        };
        let slot = match &self.last_key {
            Some((k, slot)) if *k == key => *slot,
            _ => {
                let slot = self.groups.slot(key.clone());
                self.last_key = Some((key, slot));
                slot
            }
        };
        let w = self.groups.width;
        for (i, col) in layout.counts.iter().enumerate() {
            if let Some(c) = col {
                if let Some(v) = parse_count(fields[*c])? {
                    if v < 0 && layout.never_negative[i] {
                        return Err(GiveUp);
                    }
                    self.groups.counts[slot * w + i] += v;
                }
            }
        }
        self.groups.on_day(day, money[0]);
        self.groups.money[slot][0] += money[0];
        self.groups.money[slot][1] += money[1];
        self.groups.missing[slot] += missing;
        self.cost += money[0];
        self.facts += 1;
        Ok(())
    }

    fn finish(self, out: &mut Part) {
        out.groups.merge(self.groups);
        out.cost += self.cost;
        out.facts += self.facts;
        if self.lo <= self.hi {
            out.min_day = Some(out.min_day.map_or(self.lo, |m| m.min(self.lo)));
            out.max_day = Some(out.max_day.map_or(self.hi, |m| m.max(self.hi)));
        }
    }
}

/// Rows of a block without quotes: every line end ends a record. Commas and line ends are
/// found in one SIMD pass over the whole chunk.
fn walk_plain<'a>(
    bytes: &'a [u8],
    layout: &'a Layout,
    range: (i32, i32),
    ids: Ids<'_>,
    out: &mut Part,
) -> Result<(), GiveUp> {
    let mut folder = Folder::new(layout, range, ids);
    let mut fields: Vec<&[u8]> = Vec::with_capacity(layout.needed);
    let mut field_start = 0;
    let mut count = 0;
    let row = |fields: &mut Vec<&'a [u8]>,
               count: usize,
               folder: &mut Folder<'a, '_>|
     -> Result<(), GiveUp> {
        if fields.len() == 1 && fields[0].is_empty() && count == 1 {
            fields.clear();
            return Ok(()); // a blank line
        }
        if count != layout.width || fields.len() < layout.needed {
            return Err(GiveUp);
        }
        folder.row(fields)?;
        fields.clear();
        Ok(())
    };
    for pos in memchr::memchr2_iter(b',', b'\n', bytes) {
        let mut field = &bytes[field_start..pos];
        count += 1;
        if bytes[pos] == b'\n' {
            if let Some(x) = field.strip_suffix(b"\r") {
                field = x;
            }
            if fields.len() < layout.needed {
                fields.push(field);
            }
            row(&mut fields, count, &mut folder)?;
            count = 0;
        } else if fields.len() < layout.needed {
            fields.push(field);
        }
        field_start = pos + 1;
    }
    if field_start < bytes.len() {
        let mut field = &bytes[field_start..];
        if let Some(x) = field.strip_suffix(b"\r") {
            field = x;
        }
        count += 1;
        if fields.len() < layout.needed {
            fields.push(field);
        }
        row(&mut fields, count, &mut folder)?;
    } else if count > 0 {
        return Err(GiveUp);
    }
    folder.finish(out);
    Ok(())
}

/// Splits one record (which may hold quoted fields) into owned fields.
fn split_quoted(record: &[u8]) -> Result<Vec<Vec<u8>>, GiveUp> {
    let mut fields = Vec::new();
    let mut cur = Vec::new();
    let mut i = 0;
    let mut in_quotes = false;
    let mut was_quoted = false;
    while i < record.len() {
        let byte = record[i];
        if in_quotes {
            if byte == b'"' {
                if record.get(i + 1) == Some(&b'"') {
                    cur.push(b'"');
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(byte);
            }
        } else {
            match byte {
                b'"' if cur.iter().all(|b| matches!(b, b' ' | b'\t')) && !was_quoted => {
                    cur.clear();
                    in_quotes = true;
                    was_quoted = true;
                }
                b'"' => return Err(GiveUp),
                b',' => {
                    fields.push(std::mem::take(&mut cur));
                    was_quoted = false;
                }
                _ if was_quoted && !matches!(byte, b' ' | b'\t') => return Err(GiveUp),
                _ => cur.push(byte),
            }
        }
        i += 1;
    }
    if in_quotes {
        return Err(GiveUp);
    }
    fields.push(cur);
    Ok(fields)
}

/// Rows of a block with quotes, one record at a time; returns the bytes consumed (whole
/// records; at the end of the file, everything).
fn walk_quoted(
    bytes: &[u8],
    eof: bool,
    layout: &Layout,
    range: (i32, i32),
    ids: Ids<'_>,
    out: &mut Part,
) -> Result<usize, GiveUp> {
    // Owned fields live as long as the block: keep them in an arena the folder can borrow.
    let mut records: Vec<Vec<Vec<u8>>> = Vec::new();
    let mut start = 0;
    let mut consumed = 0;
    while start < bytes.len() {
        // A record ends at a line end outside quotes.
        let mut end = start;
        let mut in_quotes = false;
        let mut complete = false;
        while end < bytes.len() {
            match bytes[end] {
                b'"' => in_quotes = !in_quotes,
                b'\n' if !in_quotes => {
                    complete = true;
                    break;
                }
                _ => {}
            }
            end += 1;
        }
        if !complete && !eof {
            break;
        }
        if in_quotes {
            return Err(GiveUp);
        }
        let mut record = &bytes[start..end];
        start = (end + 1).min(bytes.len());
        consumed = start;
        if let Some(r) = record.strip_suffix(b"\r") {
            record = r;
        }
        if record.is_empty() {
            continue;
        }
        let fields = split_quoted(record)?;
        if fields.len() != layout.width {
            return Err(GiveUp);
        }
        records.push(fields);
    }
    // The folder caches borrowed keys; owned fields must outlive it.
    let borrowed: Vec<Vec<&[u8]>> = records
        .iter()
        .map(|r| r.iter().map(Vec::as_slice).collect())
        .collect();
    let mut folder = Folder::new(layout, range, ids);
    for fields in &borrowed {
        folder.row(fields)?;
    }
    folder.finish(out);
    Ok(consumed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_keep_commas_quotes_and_line_breaks() {
        let f = split_quoted(b"a,\"b,c\",\"say \"\"hi\"\"\",\"x\ny\"").unwrap();
        assert_eq!(
            f,
            vec![
                b"a".to_vec(),
                b"b,c".to_vec(),
                b"say \"hi\"".to_vec(),
                b"x\ny".to_vec()
            ]
        );
        assert!(split_quoted(b"a,b\"c").is_err());
        assert!(split_quoted(b"a,\"open").is_err());
    }

    #[test]
    fn lines_split_at_line_ends_only() {
        let s = b"aa\nbbb\ncccc\nd\n";
        let parts = split_lines(s, 3);
        assert_eq!(parts.concat(), s.to_vec());
        assert!(parts.iter().all(|p| p.ends_with(b"\n")));
    }
}
