//! The build context as the rules see it: the files a `COPY`/`ADD` could take.

use crate::dockerignore::DockerIgnore;

/// Read access to a submission's build context. Implemented over a directory by
/// the CLI and over an uploaded tarball by the server; tests use [`MemoryContext`].
pub trait BuildContext {
    /// Every regular file's path, relative to the context root, `/`-separated, sorted.
    fn files(&self) -> Vec<String>;
    /// Up to `limit` leading bytes of a file, or `None` when it is not there.
    fn head(&self, path: &str, limit: usize) -> Option<Vec<u8>>;
}

/// An in-memory build context (path → contents).
#[derive(Debug, Clone, Default)]
pub struct MemoryContext {
    /// Files by relative path.
    pub files: std::collections::BTreeMap<String, Vec<u8>>,
}

impl MemoryContext {
    /// A context holding the given files.
    pub fn new<P: Into<String>, C: Into<Vec<u8>>>(files: impl IntoIterator<Item = (P, C)>) -> Self {
        Self {
            files: files
                .into_iter()
                .map(|(p, c)| (p.into(), c.into()))
                .collect(),
        }
    }
}

impl BuildContext for MemoryContext {
    fn files(&self) -> Vec<String> {
        self.files.keys().cloned().collect()
    }

    fn head(&self, path: &str, limit: usize) -> Option<Vec<u8>> {
        self.files
            .get(path)
            .map(|c| c[..c.len().min(limit)].to_vec())
    }
}

/// The context's `.dockerignore`, parsed (empty when there is none).
pub(crate) fn dockerignore(ctx: &dyn BuildContext) -> Option<DockerIgnore> {
    ctx.head(".dockerignore", 1024 * 1024)
        .map(|bytes| DockerIgnore::parse(&String::from_utf8_lossy(&bytes)))
}

/// Context files a `COPY`/`ADD` source selects: the path itself, everything under
/// it when it is a directory (`.` is the whole context), or glob matches.
pub(crate) fn select<'a>(files: &'a [String], source: &str) -> Vec<&'a String> {
    let src = source.trim_start_matches("./").trim_end_matches('/');
    let src = if src == "." { "" } else { src };
    if src.is_empty() {
        return files.iter().collect();
    }
    if src.contains(['*', '?', '[']) {
        let Ok(glob) = globset::GlobBuilder::new(src)
            .literal_separator(true)
            .build()
        else {
            return Vec::new();
        };
        let m = glob.compile_matcher();
        return files
            .iter()
            .filter(|f| {
                f.match_indices('/')
                    .map(|(i, _)| &f[..i])
                    .chain([f.as_str()])
                    .any(|p| m.is_match(p))
            })
            .collect();
    }
    let prefix = format!("{src}/");
    files
        .iter()
        .filter(|f| *f == src || f.starts_with(&prefix))
        .collect()
}
