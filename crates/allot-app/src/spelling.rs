//! "Did you mean": the nearest known name to a misspelt one, for errors that name it.

/// The known value closest to a misspelt one (`CC-1O30` -> `CC-1030`), when one is close
/// enough to be a likely typo: at most two edits, or a case-only difference.
pub fn nearest<'a>(value: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| {
            let folded = k.eq_ignore_ascii_case(value);
            (
                if folded {
                    0
                } else {
                    strsim::levenshtein(k, value)
                },
                k,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k)
}
