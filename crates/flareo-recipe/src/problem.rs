//! Recipe problems: each names the field, the line, what is wrong and what to do.

use std::fmt;

/// One problem with a recipe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecipeProblem {
    /// Stable code, see [`CODES`].
    pub code: &'static str,
    /// Dotted path of the field, e.g. `upstream.ref_pattern` or `runtime.ports[1]`.
    pub field: String,
    /// 1-based line in `flareo.yaml`, when known.
    pub line: Option<usize>,
    /// What is wrong, naming the value.
    pub message: String,
    /// What to do about it.
    pub hint: Option<String>,
}

/// Every code a recipe problem can carry, with what it means.
pub const CODES: &[(&str, &str)] = &[
    ("R001", "YAML syntax error or limit exceeded"),
    ("R002", "document is not a mapping"),
    ("R003", "unknown key"),
    ("R004", "required key missing"),
    ("R005", "value has the wrong type"),
    ("R006", "recipe file too large"),
    ("R010", "invalid slug"),
    ("R011", "invalid name or author"),
    ("R012", "unknown category"),
    ("R013", "invalid SPDX license expression"),
    ("R020", "invalid upstream.source"),
    ("R021", "invalid upstream.ref_pattern"),
    ("R022", "invalid upstream.entry"),
    ("R030", "port out of range"),
    ("R031", "duplicate port"),
    ("R032", "invalid volume path"),
    ("R033", "duplicate volume"),
    ("R034", "invalid environment variable name"),
    ("R035", "invalid healthcheck"),
];

/// Every problem found in a recipe, sorted by line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RecipeErrors(pub Vec<RecipeProblem>);

impl fmt::Display for RecipeErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match p.line {
                Some(line) => write!(f, "flareo.yaml:{line}: {}: {}", p.field, p.message)?,
                None => write!(f, "flareo.yaml: {}: {}", p.field, p.message)?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::CODES;

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<&str> = CODES.iter().map(|c| c.0).collect();
        codes.sort_unstable();
        let n = codes.len();
        codes.dedup();
        assert_eq!(n, codes.len());
    }
}
