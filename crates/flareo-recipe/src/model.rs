//! The validated recipe. Every type here is checked on construction, so a value
//! that exists is valid (a `Slug` is a DNS label, a `License` parses as SPDX, ...).

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

/// A module's recipe (`flareo.yaml`), fully validated.
#[derive(Debug, Clone, Serialize)]
pub struct Recipe {
    /// URL-safe identifier: a lower-case DNS label.
    pub slug: Slug,
    /// Display name.
    pub name: String,
    /// Who maintains the upstream project.
    pub author: String,
    /// Catalog category.
    pub category: Category,
    /// SPDX license expression.
    pub license: License,
    /// Where the source comes from and how to build it.
    pub upstream: Upstream,
    /// What the running module needs.
    pub runtime: Runtime,
}

/// `upstream:` — source repository, tag pattern and build entry.
#[derive(Debug, Clone, Serialize)]
pub struct Upstream {
    /// Repository URL (`https://`, `http://`, `git://`, `ssh://`, `file://` or `git@host:path`).
    pub source: String,
    /// Glob over tag names that trigger builds.
    pub ref_pattern: RefPattern,
    /// How to build, relative to the source root.
    pub entry: EntryPath,
}

/// `runtime:` — what the module page advertises.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Runtime {
    /// Ports the service listens on, 1-65535, no duplicates.
    pub ports: Vec<u16>,
    /// Absolute, normalised volume paths, no duplicates.
    pub volumes: Vec<String>,
    /// Default environment, by valid variable name.
    pub default_env: BTreeMap<String, String>,
    /// Health check command.
    pub healthcheck: Option<String>,
}

macro_rules! string_newtype {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub(crate) String);

        impl $name {
            /// The value as a string.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
    };
}

string_newtype!(
    /// A lower-case DNS label: 1-63 of `[a-z0-9-]`, starting and ending alphanumeric.
    Slug
);
string_newtype!(
    /// A relative path inside the source, normalised (`./Dockerfile` → `Dockerfile`).
    EntryPath
);

/// Catalog categories a module may be filed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Category(pub(crate) &'static str);

impl Category {
    /// Every category, sorted.
    pub const ALL: [&'static str; 18] = [
        "ai",
        "analytics",
        "automation",
        "communication",
        "database",
        "development",
        "documentation",
        "education",
        "finance",
        "games",
        "home-automation",
        "media",
        "monitoring",
        "networking",
        "other",
        "productivity",
        "security",
        "storage",
    ];

    /// The category name.
    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl Serialize for Category {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

/// A valid SPDX license expression, with the text as written.
#[derive(Debug, Clone)]
pub struct License {
    pub(crate) text: String,
    pub(crate) expression: spdx::Expression,
}

impl License {
    /// The expression as written in the recipe.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The parsed expression.
    pub fn expression(&self) -> &spdx::Expression {
        &self.expression
    }
}

impl Serialize for License {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

/// A glob over tag names (`*`, `?`, `[...]`; `*` also matches dots).
#[derive(Debug, Clone)]
pub struct RefPattern {
    pub(crate) text: String,
    pub(crate) matcher: globset::GlobMatcher,
}

impl RefPattern {
    /// The pattern as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// True when `tag` matches the whole pattern (`v*.*.*` matches `v1.2.3`, not `v1.2`).
    pub fn matches(&self, tag: &str) -> bool {
        self.matcher.is_match(tag)
    }
}

impl Serialize for RefPattern {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}
