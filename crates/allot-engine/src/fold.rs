//! Aggregating facts as they stream by: a group per raw email, day and dimension values, its
//! sums in flat arrays, and the load's frame built from them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use foldhash::fast::FixedState;
use polars::prelude::*;

use crate::load::money_column;
pub(crate) use crate::spec::MAX_DIMS;
use crate::spec::{missing_column, Spec};
pub use crate::spec::{Grain, Segmenter};

/// A group's key: raw email id, day, dimension value ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    pub(crate) email: u32,
    pub(crate) day: i32,
    pub(crate) dims: [u32; MAX_DIMS],
}

impl std::hash::Hash for Key {
    /// One word for the usual key (email and day; no dimensions), so a lookup hashes 8 bytes.
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        h.write_u64((u64::from(self.email) << 32) | u64::from(self.day as u32));
        if self.dims != [0; MAX_DIMS] {
            for d in self.dims {
                h.write_u32(d);
            }
        }
    }
}

/// Finds the day a row is kept under: the day itself, or its span's first day. Caches each
/// raw email's spans.
/// What the spanner knows of an email's spans.
#[derive(Clone, Default)]
enum Known {
    /// Not asked yet.
    #[default]
    Unseen,
    /// Every day kept.
    Days,
    /// Span starts.
    Spans(Arc<[i32]>),
}

#[derive(Default)]
pub(crate) struct Spanner {
    spans: Vec<Known>,
    /// The last answer: (email id, day) -> kept day.
    last: Option<(u32, i32, i32)>,
}

impl Spanner {
    /// The day a fact of `email` (interned id `id`, raw text `raw`) on `day` is kept under.
    pub(crate) fn day(&mut self, grain: &Grain, id: u32, raw: &[u8], day: i32) -> i32 {
        let Grain::Spans(segmenter) = grain else {
            return day;
        };
        if let Some((i, d, kept)) = self.last {
            if i == id && d == day {
                return kept;
            }
        }
        let i = id as usize;
        if self.spans.len() <= i {
            self.spans.resize(i + 1, Known::Unseen);
        }
        if matches!(self.spans[i], Known::Unseen) {
            let email = allot_core::facts::normalize_email(&String::from_utf8_lossy(raw));
            self.spans[i] = match segmenter(&email) {
                Some(cuts) => Known::Spans(cuts),
                None => Known::Days,
            };
        }
        let kept = match &self.spans[i] {
            Known::Spans(cuts) => match cuts.partition_point(|c| *c <= day) {
                0 => day,
                k => cuts[k - 1],
            },
            Known::Unseen | Known::Days => day,
        };
        self.last = Some((id, day, kept));
        kept
    }
}

/// One email's groups: a short list searched in order, or a map once it grows.
#[derive(Debug, Clone)]
enum Slots {
    Few(Vec<(i32, [u32; MAX_DIMS], u32)>),
    Many(HashMap<(i32, [u32; MAX_DIMS]), u32, FixedState>),
}

impl Default for Slots {
    fn default() -> Slots {
        Slots::Few(Vec::new())
    }
}

/// Groups and their sums, in flat arrays (no allocation per group), and the exact cost of
/// each day of the range (kept whatever the grain). Groups are found through their email
/// first: a person has few groups in a load summed in spans, so most lookups scan a short
/// list instead of hashing into one big table.
#[derive(Default)]
pub(crate) struct Groups {
    /// Cost per day of the range, by offset from its first day, and whether it had facts.
    pub(crate) daily: Vec<(i128, bool)>,
    pub(crate) base: i32,
    index: Vec<Slots>,
    pub(crate) keys: Vec<Key>,
    pub(crate) money: Vec<[i128; 2]>,
    pub(crate) missing: Vec<u32>,
    /// `width` counts per group.
    pub(crate) counts: Vec<i64>,
    pub(crate) width: usize,
}

impl Groups {
    pub(crate) fn new(width: usize, range: (i32, i32)) -> Groups {
        Groups {
            width,
            base: range.0,
            daily: vec![(0, false); usize::try_from(range.1 - range.0 + 1).unwrap_or(0)],
            ..Groups::default()
        }
    }

    /// Counts a fact's cost on its day.
    pub(crate) fn on_day(&mut self, day: i32, cost: i128) {
        if let Some(d) = usize::try_from(day - self.base)
            .ok()
            .and_then(|i| self.daily.get_mut(i))
        {
            d.0 += cost;
            d.1 = true;
        }
    }

    /// The days with facts and their exact cost, oldest first.
    pub(crate) fn days(&self) -> Vec<(i32, i128)> {
        self.daily
            .iter()
            .enumerate()
            .filter(|(_, d)| d.1)
            .map(|(i, d)| (self.base + i as i32, d.0))
            .collect()
    }

    /// The slot of `key`, made when new.
    pub(crate) fn slot(&mut self, key: Key) -> usize {
        /// Beyond this many groups, an email's groups move to a map.
        const FEW: usize = 24;
        let e = key.email as usize;
        if self.index.len() <= e {
            self.index.resize_with(e + 1, Slots::default);
        }
        let next = self.keys.len() as u32;
        let found = match &mut self.index[e] {
            Slots::Few(v) => match v
                .iter()
                .find(|(d, dims, _)| *d == key.day && *dims == key.dims)
            {
                Some((_, _, s)) => Some(*s),
                None => {
                    v.push((key.day, key.dims, next));
                    if v.len() > FEW {
                        let map = v.iter().map(|(d, dims, s)| ((*d, *dims), *s)).collect();
                        self.index[e] = Slots::Many(map);
                    }
                    None
                }
            },
            Slots::Many(m) => match m.entry((key.day, key.dims)) {
                std::collections::hash_map::Entry::Occupied(o) => Some(*o.get()),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(next);
                    None
                }
            },
        };
        match found {
            Some(s) => s as usize,
            None => {
                self.keys.push(key);
                self.money.push([0; 2]);
                self.missing.push(0);
                self.counts.extend(std::iter::repeat_n(0, self.width));
                next as usize
            }
        }
    }

    /// Drops the index once every group is found, so the frame is not built beside it.
    pub(crate) fn seal(&mut self) {
        self.index = Vec::new();
    }

    /// Adds another part's groups.
    pub(crate) fn merge(&mut self, other: Groups) {
        if self.keys.is_empty() && self.daily.iter().all(|d| !d.1) {
            *self = other;
            return;
        }
        let w = self.width;
        for (a, b) in self.daily.iter_mut().zip(&other.daily) {
            a.0 += b.0;
            a.1 |= b.1;
        }
        for (j, key) in other.keys.into_iter().enumerate() {
            let i = self.slot(key);
            self.money[i][0] += other.money[j][0];
            self.money[i][1] += other.money[j][1];
            self.missing[i] += other.missing[j];
            for k in 0..w {
                self.counts[i * w + k] += other.counts[j * w + k];
            }
        }
    }
}

/// Interns byte strings to ids, shared by the threads.
#[derive(Default)]
pub(crate) struct Interner {
    ids: HashMap<Box<[u8]>, u32, FixedState>,
    pub(crate) values: Vec<Box<[u8]>>,
}

impl Interner {
    pub(crate) fn id(&mut self, v: &[u8]) -> u32 {
        if let Some(id) = self.ids.get(v) {
            return *id;
        }
        let id = self.values.len() as u32;
        self.ids.insert(v.into(), id);
        self.values.push(v.into());
        id
    }
}

/// Interned values as one string column, each value's bytes stored once.
struct Dictionary(StringChunked);

impl Dictionary {
    fn of(values: &[Box<[u8]>]) -> Dictionary {
        Dictionary(StringChunked::from_iter_values(
            PlSmallStr::EMPTY,
            values.iter().map(|v| String::from_utf8_lossy(v)),
        ))
    }

    /// A text column of `n` rows holding the values `ids` name, gathered from the dictionary:
    /// polars' string views then point into the dictionary's one copy of each value's bytes,
    /// so a column of a few distinct values costs 16 bytes a row however long they are.
    fn column(&self, name: &str, ids: impl Iterator<Item = u32>, n: usize) -> Column {
        let mut idx: Vec<IdxSize> = Vec::with_capacity(n);
        idx.extend(ids.map(|i| i as IdxSize));
        let rows = self
            .0
            .take(&IdxCa::from_vec(PlSmallStr::EMPTY, idx))
            .expect("every id names an interned value");
        rows.with_name(name.into()).into_column()
    }
}

/// The aggregated groups as the load's frame.
pub(crate) fn frame(
    groups: &Groups,
    spec: &Spec<'_>,
    emails: &Interner,
    values: &Interner,
) -> DataFrame {
    let n = groups.keys.len();
    let w = groups.width;
    let email_text = Dictionary::of(&emails.values);
    let value_text = Dictionary::of(&values.values);
    let day: Vec<i32> = groups.keys.iter().map(|k| k.day).collect();
    let mut cols = vec![
        email_text.column("email", groups.keys.iter().map(|k| k.email), n),
        Column::new("day".into(), day),
    ];
    for (i, name) in spec.dims.iter().enumerate() {
        cols.push(value_text.column(name, groups.keys.iter().map(|k| k.dims[i]), n));
    }
    for (i, name) in spec.counts.iter().enumerate() {
        let v: Vec<i64> = (0..n).map(|g| groups.counts[g * w + i]).collect();
        cols.push(Column::new((*name).into(), v));
    }
    for (i, name) in spec.money.iter().enumerate() {
        // A group's sum stays far inside i64 nano-dollars (9 billion dollars); like polars'
        // sum, it adds the values present (the missing column counts the others).
        let v: Vec<Option<i64>> = (0..n)
            .map(|g| i64::try_from(groups.money[g][i]).ok())
            .collect();
        cols.push(Column::new(money_column(name).as_str().into(), v));
        if i > 0 {
            cols.push(Column::new(
                missing_column(name).as_str().into(),
                groups.missing.clone(),
            ));
        }
    }
    DataFrame::new(n, cols).expect("columns of one length")
}

/// One thread's share of a fold over polars morsels.
struct MorselPart {
    groups: Groups,
    spanner: Spanner,
    emails: HashMap<Box<[u8]>, u32, FixedState>,
    values: HashMap<Box<[u8]>, u32, FixedState>,
    last: Option<(Key, usize)>,
    last_email: Option<(Vec<u8>, u32)>,
}

/// Folds the morsels polars streams through an elementwise UDF into per-thread groups, in
/// parallel: rows of one person-day arrive together, so most cost a comparison, not a hash.
pub(crate) struct MorselFold {
    grain: Grain,
    range: (i32, i32),
    dims: usize,
    counts: usize,
    money: usize,
    emails: Mutex<Interner>,
    values: Mutex<Interner>,
    parts: Mutex<Vec<MorselPart>>,
}

impl MorselFold {
    pub(crate) fn new(spec: &Spec<'_>) -> MorselFold {
        let mut values = Interner::default();
        let _ = values.id(b"");
        MorselFold {
            grain: spec.grain.clone(),
            range: (
                allot_core::date::to_epoch_days(spec.range.from),
                allot_core::date::to_epoch_days(spec.range.to),
            ),
            dims: spec.dims.len(),
            counts: spec.counts.len(),
            money: spec.money.len(),
            emails: Mutex::new(Interner::default()),
            values: Mutex::new(values),
            parts: Mutex::new(Vec::new()),
        }
    }

    /// Folds one morsel's columns: `email`, `day`, the dimensions, the counts, the money
    /// (nano-dollars), in that order. A null email, day or cost is not exact.
    pub(crate) fn add(&self, cols: &[Column]) -> PolarsResult<()> {
        let not_exact = || {
            PolarsError::ComputeError(
                "allot: a value is not exact: empty email, date or amount".into(),
            )
        };
        let mut part = self
            .parts
            .lock()
            .expect("parts")
            .pop()
            .unwrap_or_else(|| MorselPart {
                groups: Groups::new(self.counts, self.range),
                spanner: Spanner::default(),
                emails: HashMap::default(),
                values: HashMap::default(),
                last: None,
                last_email: None,
            });
        let email = cols[0].str()?;
        let day = cols[1].i32()?;
        let dims: Vec<&StringChunked> = cols[2..2 + self.dims]
            .iter()
            .map(Column::str)
            .collect::<PolarsResult<_>>()?;
        let counts: Vec<&Int64Chunked> = cols[2 + self.dims..2 + self.dims + self.counts]
            .iter()
            .map(Column::i64)
            .collect::<PolarsResult<_>>()?;
        let money: Vec<&Int64Chunked> = cols
            [2 + self.dims + self.counts..2 + self.dims + self.counts + self.money]
            .iter()
            .map(Column::i64)
            .collect::<PolarsResult<_>>()?;
        let mut dim_it: Vec<_> = dims.iter().map(|c| c.iter()).collect();
        let mut count_it: Vec<_> = counts.iter().map(|c| c.iter()).collect();
        let mut money_it: Vec<_> = money.iter().map(|c| c.iter()).collect();
        let w = part.groups.width;
        for (e, d) in email.iter().zip(day.iter()) {
            let (Some(e), Some(d)) = (e, d) else {
                return Err(not_exact());
            };
            let e = e.as_bytes();
            let email_id = match &mut part.last_email {
                Some((last, id)) if last.as_slice() == e => *id,
                last => {
                    let id = match part.emails.get(e) {
                        Some(id) => *id,
                        None => {
                            let id = self.emails.lock().expect("interner").id(e);
                            part.emails.insert(e.into(), id);
                            id
                        }
                    };
                    let buf = last.get_or_insert_with(|| (Vec::new(), id));
                    buf.0.clear();
                    buf.0.extend_from_slice(e);
                    buf.1 = id;
                    id
                }
            };
            let mut dim_ids = [0u32; MAX_DIMS];
            for (slot, it) in dim_ids.iter_mut().zip(dim_it.iter_mut()) {
                let v = it.next().flatten().unwrap_or("").as_bytes();
                *slot = match part.values.get(v) {
                    Some(id) => *id,
                    None => {
                        let id = self.values.lock().expect("interner").id(v);
                        part.values.insert(v.into(), id);
                        id
                    }
                };
            }
            let kept = part.spanner.day(&self.grain, email_id, e, d);
            let key = Key {
                email: email_id,
                day: kept,
                dims: dim_ids,
            };
            let slot = match &part.last {
                Some((k, s)) if *k == key => *s,
                _ => {
                    let s = part.groups.slot(key.clone());
                    part.last = Some((key, s));
                    s
                }
            };
            for (k, it) in count_it.iter_mut().enumerate() {
                part.groups.counts[slot * w + k] += it.next().flatten().unwrap_or(0);
            }
            for (k, it) in money_it.iter_mut().enumerate() {
                match it.next().flatten() {
                    Some(v) => {
                        part.groups.money[slot][k] += i128::from(v);
                        if k == 0 {
                            part.groups.on_day(d, i128::from(v));
                        }
                    }
                    None if k > 0 => part.groups.missing[slot] += 1,
                    None => return Err(not_exact()),
                }
            }
        }
        self.parts.lock().expect("parts").push(part);
        Ok(())
    }

    /// Every thread's groups, merged, as the load's frame, and the cost of each day.
    pub(crate) fn finish(&self, spec: &Spec<'_>) -> (DataFrame, Vec<(i32, i128)>) {
        let mut parts = std::mem::take(&mut *self.parts.lock().expect("parts"));
        let mut groups = parts
            .pop()
            .map_or_else(|| Groups::new(self.counts, self.range), |p| p.groups);
        for p in parts {
            groups.merge(p.groups);
        }
        groups.seal();
        let emails = self.emails.lock().expect("interner");
        let values = self.values.lock().expect("interner");
        (frame(&groups, spec, &emails, &values), groups.days())
    }
}
