//! Parsed versions remembered per thread. Matching compares the same few strings
//! over and over (a package's installed version against the range events of each
//! of its advisories, the same `fixed` versions across packages), and parsing
//! (allocating) dominates a comparison. Bounded: the table is emptied when full.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::HashMap;

use super::VersionError;

/// Entries kept before the table is emptied.
const CAPACITY: usize = 1 << 16;

/// Parse results by version text, for one ecosystem.
pub(super) struct Memo<T>(RefCell<HashMap<String, Result<T, VersionError>>>);

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self(RefCell::new(HashMap::new()))
    }
}

impl<T> Memo<T> {
    /// `cmp` of `a` and `b` parsed by `parse` (each parsed once per thread);
    /// the error of the first that does not parse.
    pub(super) fn compare(
        &self,
        a: &str,
        b: &str,
        parse: impl Fn(&str) -> Result<T, VersionError>,
        cmp: impl Fn(&T, &T) -> Ordering,
    ) -> Result<Ordering, VersionError> {
        let mut table = self.0.borrow_mut();
        if table.len() + 2 > CAPACITY {
            table.clear();
        }
        for text in [a, b] {
            if !table.contains_key(text) {
                table.insert(text.to_string(), parse(text));
            }
        }
        match (&table[a], &table[b]) {
            (Ok(x), Ok(y)) => Ok(cmp(x, y)),
            (Err(e), _) | (_, Err(e)) => Err(e.clone()),
        }
    }
}
