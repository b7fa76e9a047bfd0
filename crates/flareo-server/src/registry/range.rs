//! `Range: bytes=...` on blob downloads (RFC 9110 §14): one range, as
//! `first-last`, `first-` or `-suffix`. Several ranges, other units or bad
//! syntax are ignored (the whole blob is served), as the RFC allows.

use std::ops::Range;

/// What a `Range` header asks of a blob of a given size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The whole blob (no header, or one to ignore).
    Whole,
    /// These bytes (non-empty, inside the blob).
    Part(Range<u64>),
    /// Nothing of the blob can satisfy it: 416.
    Unsatisfiable,
}

/// Reads `header` against a blob of `size` bytes.
pub fn wanted(header: Option<&str>, size: u64) -> Wanted {
    let Some(spec) = header.and_then(|h| h.trim().strip_prefix("bytes=")) else {
        return Wanted::Whole;
    };
    let spec = spec.trim();
    if spec.contains(',') {
        return Wanted::Whole;
    }
    let Some((first, last)) = spec.split_once('-') else {
        return Wanted::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // -suffix: the last `suffix` bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(size.saturating_sub(suffix)..size)
            }
        }
        (false, Some(start), None) if last.trim().is_empty() => {
            if start >= size {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(start..size)
            }
        }
        (false, Some(start), Some(end)) if start <= end => {
            if start >= size {
                Wanted::Unsatisfiable
            } else {
                Wanted::Part(start..end.saturating_add(1).min(size))
            }
        }
        _ => Wanted::Whole,
    }
}

#[cfg(test)]
mod tests {
    use super::{Wanted, wanted};

    #[test]
    fn ranges_as_rfc_9110_reads_them() {
        let cases: &[(Option<&str>, u64, Wanted)] = &[
            (None, 10, Wanted::Whole),
            (Some("bytes=0-0"), 10, Wanted::Part(0..1)),
            (Some("bytes=2-5"), 10, Wanted::Part(2..6)),
            (Some("bytes=2-"), 10, Wanted::Part(2..10)),
            (Some("bytes=-3"), 10, Wanted::Part(7..10)),
            (Some("bytes=-30"), 10, Wanted::Part(0..10)),
            (Some("bytes=5-100"), 10, Wanted::Part(5..10)),
            (Some("bytes=9-9"), 10, Wanted::Part(9..10)),
            (Some(" bytes=1-2 "), 10, Wanted::Part(1..3)),
            (Some("bytes=10-"), 10, Wanted::Unsatisfiable),
            (Some("bytes=10-20"), 10, Wanted::Unsatisfiable),
            (Some("bytes=-0"), 10, Wanted::Unsatisfiable),
            (Some("bytes=0-"), 0, Wanted::Unsatisfiable),
            (Some("bytes=-1"), 0, Wanted::Unsatisfiable),
            (Some("bytes=5-2"), 10, Wanted::Whole),
            (Some("bytes=0-1,4-5"), 10, Wanted::Whole),
            (Some("items=0-1"), 10, Wanted::Whole),
            (Some("bytes=a-b"), 10, Wanted::Whole),
            (Some("bytes=-"), 10, Wanted::Whole),
            (Some("bytes=+1-2"), 10, Wanted::Whole),
            (
                Some("bytes=18446744073709551615-"),
                10,
                Wanted::Unsatisfiable,
            ),
            (
                Some("bytes=0-18446744073709551615"),
                10,
                Wanted::Part(0..10),
            ),
        ];
        for (header, size, want) in cases {
            assert_eq!(&wanted(*header, *size), want, "{header:?} of {size}");
        }
    }
}
