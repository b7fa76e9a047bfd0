//! Findings: what a rule reports, with a stable code, severity, place and hint.

use serde::Serialize;

/// How bad a finding is: `Error` rejects the submission, `Warning` does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Rejects the submission.
    Error,
    /// Reported, does not reject.
    Warning,
}

impl Severity {
    /// `error` or `warning`, as reports print it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Error => "error",
            Self::Warning => "warning",
        }
    }
}

/// One problem found in a submission. Findings are values, not errors.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable code, e.g. `FL101`; see [`CODES`].
    pub code: &'static str,
    /// Whether it rejects.
    pub severity: Severity,
    /// The file concerned, relative to the module root (e.g. `Dockerfile`).
    pub file: String,
    /// 1-based line in that file (0 when the finding concerns the whole file).
    pub line: usize,
    /// What is wrong, in the seed's words where the seed gives them.
    pub message: String,
    /// What to do about it.
    pub hint: String,
}

/// Every code a rule of this crate can emit, with its severity and a summary.
pub const CODES: &[(&str, Severity, &str)] = &[
    ("FL001", Severity::Error, "Dockerfile parse error"),
    ("FL002", Severity::Warning, "empty continuation line"),
    ("FL101", Severity::Error, "base image not in approved list"),
    (
        "FL102",
        Severity::Error,
        "base image digest differs from the approved pin",
    ),
    ("FL201", Severity::Error, "RUN reaches the network"),
    ("FL202", Severity::Error, "RUN --network other than none"),
    ("FL203", Severity::Error, "ADD from a URL or git source"),
    (
        "FL204",
        Severity::Warning,
        "RUN script could not be fully analysed",
    ),
    (
        "FL301",
        Severity::Error,
        "no ENTRYPOINT or CMD in the final image",
    ),
    (
        "FL401",
        Severity::Error,
        "credential in ENV, ARG, LABEL or RUN",
    ),
    (
        "FL402",
        Severity::Error,
        "secret file copied into the image",
    ),
    ("FL501", Severity::Warning, "final stage runs as root"),
    (
        "FL502",
        Severity::Warning,
        "base image not pinned by digest",
    ),
    ("FL503", Severity::Warning, "missing OCI labels"),
    ("FL504", Severity::Warning, "no HEALTHCHECK"),
    (
        "FL505",
        Severity::Warning,
        "COPY . without a .dockerignore that excludes .git",
    ),
    (
        "FL701",
        Severity::Error,
        "no Dockerfile and no buildpack signal",
    ),
];

/// The severity registered for `code`.
///
/// # Panics
/// When `code` is not in [`CODES`]; rules only use registered codes (tested).
pub fn severity_of(code: &str) -> Severity {
    CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map(|(_, s, _)| *s)
        .unwrap_or_else(|| panic!("finding code {code} is not registered in CODES"))
}

impl Finding {
    /// A finding with the registered severity for `code`.
    pub fn new(
        code: &'static str,
        file: &str,
        line: usize,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> Self {
        Self {
            code,
            severity: severity_of(code),
            file: file.to_string(),
            line,
            message: message.into(),
            hint: hint.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::CODES;

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = CODES.iter().map(|c| c.0).collect();
        codes.sort_unstable();
        let before = codes.len();
        codes.dedup();
        assert_eq!(before, codes.len(), "duplicate finding codes");
    }
}
