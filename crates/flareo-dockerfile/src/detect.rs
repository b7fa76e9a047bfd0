//! Build-path detection: a Dockerfile at the recipe's `entry` wins; otherwise the
//! seed's buildpack table picks a Cloud Native Buildpack from the files at the root.

use serde::Serialize;

/// The seed's table: signal file at the source root → buildpack.
pub const BUILDPACK_SIGNALS: [(&str, &str); 8] = [
    ("package.json", "paketobuildpacks/nodejs"),
    ("requirements.txt", "paketobuildpacks/python"),
    ("pyproject.toml", "paketobuildpacks/python"),
    ("go.mod", "paketobuildpacks/go"),
    ("Cargo.toml", "paketobuildpacks/rust"),
    ("Gemfile", "paketobuildpacks/ruby"),
    ("pom.xml", "paketobuildpacks/java"),
    ("build.gradle", "paketobuildpacks/java"),
];

/// How a module gets built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum BuildPath {
    /// The Dockerfile at this relative path.
    Dockerfile {
        /// Path relative to the source root.
        path: String,
    },
    /// A buildpack chosen by a signal file.
    Buildpack {
        /// The buildpack, e.g. `paketobuildpacks/nodejs`.
        name: &'static str,
        /// The file that chose it.
        signal: &'static str,
    },
}

impl BuildPath {
    /// The report form: `dockerfile` or `buildpack:<name>`.
    pub fn label(&self) -> String {
        match self {
            Self::Dockerfile { .. } => "dockerfile".to_string(),
            Self::Buildpack { name, .. } => format!("buildpack:{name}"),
        }
    }
}

/// Neither a Dockerfile nor a buildpack signal was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "no Dockerfile at {entry} and no buildpack signal at the source root (looked for {looked_for})"
)]
pub struct NoBuildPath {
    /// The Dockerfile path looked for.
    pub entry: String,
    /// The signal files looked for, comma-separated.
    pub looked_for: String,
}

/// Picks the build path from the source's file list (relative, `/`-separated)
/// and the recipe's normalised `entry` (`Dockerfile` when there is no recipe).
pub fn detect(files: &[String], entry: &str) -> Result<BuildPath, NoBuildPath> {
    if files.iter().any(|f| f == entry) {
        return Ok(BuildPath::Dockerfile {
            path: entry.to_string(),
        });
    }
    BUILDPACK_SIGNALS
        .iter()
        .find(|(signal, _)| files.iter().any(|f| f == signal))
        .map(|&(signal, name)| BuildPath::Buildpack { name, signal })
        .ok_or_else(|| NoBuildPath {
            entry: entry.to_string(),
            looked_for: BUILDPACK_SIGNALS
                .iter()
                .map(|(s, _)| *s)
                .collect::<Vec<_>>()
                .join(", "),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn dockerfile_wins_over_buildpack() {
        let got = detect(&files(&["Dockerfile", "package.json"]), "Dockerfile").unwrap();
        assert_eq!(got.label(), "dockerfile");
    }

    #[test]
    fn entry_path_is_used() {
        let got = detect(
            &files(&["docker/Dockerfile.prod", "go.mod"]),
            "docker/Dockerfile.prod",
        )
        .unwrap();
        assert_eq!(
            got,
            BuildPath::Dockerfile {
                path: "docker/Dockerfile.prod".into()
            }
        );
        // A Dockerfile elsewhere than entry does not count.
        let got = detect(&files(&["Dockerfile", "go.mod"]), "docker/Dockerfile.prod").unwrap();
        assert_eq!(got.label(), "buildpack:paketobuildpacks/go");
    }

    #[test]
    fn each_buildpack_signal() {
        for (signal, name) in BUILDPACK_SIGNALS {
            let got = detect(&files(&[signal, "README.md"]), "Dockerfile").unwrap();
            assert_eq!(got.label(), format!("buildpack:{name}"), "{signal}");
        }
        // Signals only count at the root.
        assert!(detect(&files(&["web/package.json"]), "Dockerfile").is_err());
    }

    #[test]
    fn neither_names_what_was_looked_for() {
        let err = detect(&files(&["README.md"]), "Dockerfile").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no Dockerfile at Dockerfile and no buildpack signal at the source root (looked for package.json, requirements.txt, pyproject.toml, go.mod, Cargo.toml, Gemfile, pom.xml, build.gradle)"
        );
    }
}
