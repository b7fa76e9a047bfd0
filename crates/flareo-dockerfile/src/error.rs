//! Errors of the Dockerfile front end.

/// A malformed Dockerfile. Displays as the seed's wording:
/// `Dockerfile parse error on line N: <what>`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("Dockerfile parse error on line {line}: {message}")]
pub struct ParseError {
    /// 1-based line where the offending instruction starts.
    pub line: usize,
    /// 1-based last line of the offending instruction.
    pub end_line: usize,
    /// What is wrong.
    pub message: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            end_line: line,
            message: message.into(),
        }
    }

    pub(crate) fn spanning(line: usize, end_line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            end_line,
            message: message.into(),
        }
    }
}
