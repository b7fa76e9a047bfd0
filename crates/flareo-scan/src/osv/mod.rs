//! OSV advisories: the schema's types and `parse`, matching installed packages against
//! affected versions and ranges (`affects`), and merging aliased advisories into
//! findings (`merge_findings`).

mod matching;
mod merge;
mod schema;

pub use matching::{Match, affects, normalise_name};
pub use merge::{Finding, merge_findings};
pub use schema::{
    Advisory, Affected, Event, OsvError, Package, Range, RangeType, Reference, SeverityScore, parse,
};
