//! `.dockerignore` matching as Docker does it: Go `filepath.Match` globs plus `**`,
//! `!` exceptions, last match wins, and a path is excluded when it or a parent matches.

use globset::{GlobBuilder, GlobMatcher};

/// A parsed `.dockerignore`.
#[derive(Debug, Clone, Default)]
pub struct DockerIgnore {
    patterns: Vec<(GlobMatcher, bool)>,
}

impl DockerIgnore {
    /// Parses the file's text; lines that are not valid globs are skipped
    /// (Docker would fail the build on them; the build step reports that).
    pub fn parse(text: &str) -> Self {
        let mut patterns = Vec::new();
        for line in text.lines() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (negate, pat) = match line.strip_prefix('!') {
                Some(p) => (true, p.trim()),
                None => (false, line),
            };
            let cleaned = clean(pat);
            if cleaned.is_empty() {
                continue;
            }
            if let Ok(glob) = GlobBuilder::new(&cleaned)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
            {
                patterns.push((glob.compile_matcher(), negate));
            }
        }
        Self { patterns }
    }

    /// True when `path` (relative, `/`-separated) is left out of the build context.
    pub fn is_excluded(&self, path: &str) -> bool {
        let path = clean(path);
        let mut excluded = false;
        for (glob, negate) in &self.patterns {
            let hit = ancestors_and_self(&path).any(|p| glob.is_match(p));
            if hit {
                excluded = !negate;
            }
        }
        excluded
    }
}

/// Removes leading `/` and `./`, trailing `/`, and `.` components.
fn clean(p: &str) -> String {
    p.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

fn ancestors_and_self(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/')
        .map(move |(i, _)| &path[..i])
        .chain(std::iter::once(path))
}

#[cfg(test)]
mod tests {
    use super::DockerIgnore;

    #[test]
    fn docker_semantics() {
        let d = DockerIgnore::parse(
            "# comment\n.git\n*.md\n!README.md\nnode_modules/.cache\n**/*.pem\n",
        );
        assert!(d.is_excluded(".git"));
        assert!(d.is_excluded(".git/config"));
        assert!(d.is_excluded("CHANGES.md"));
        assert!(!d.is_excluded("README.md"));
        assert!(!d.is_excluded("docs/x.md"), "* does not cross /");
        assert!(d.is_excluded("node_modules/.cache/x"));
        assert!(!d.is_excluded("node_modules/x"));
        assert!(d.is_excluded("certs/deep/key.pem"));
        assert!(!d.is_excluded("src/main.rs"));
        assert!(DockerIgnore::parse("/.git/").is_excluded(".git/HEAD"));
    }
}
