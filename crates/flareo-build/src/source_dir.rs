//! A module directory on disk as a [`SourceTree`]: lists regular files (links are
//! not followed) and reads them with size limits.

use std::io::Read;
use std::path::{Path, PathBuf};

use flareo_dockerfile::rules::BuildContext;
use flareo_lint::SourceTree;

/// At most this many files are listed from a module directory.
pub const MAX_FILES: usize = 200_000;

/// Why a module directory could not be listed.
#[derive(Debug, thiserror::Error)]
pub enum SourceDirError {
    /// The path is not a directory.
    #[error("{} is not a directory: give the module's source directory", .0.display())]
    NotADirectory(PathBuf),
    /// Listing failed part-way.
    #[error("reading {}: {}", .0.display(), .1)]
    Walk(PathBuf, walkdir::Error),
    /// Too many files to be a module.
    #[error("{} holds more than {MAX_FILES} files: is this the module's source directory?", .0.display())]
    TooManyFiles(PathBuf),
}

/// A module source tree rooted at a directory.
pub struct SourceDir {
    root: PathBuf,
    files: Vec<String>,
}

impl SourceDir {
    /// Lists the directory's regular files, sorted. Fails when it cannot be read
    /// or holds more than [`MAX_FILES`] files.
    pub fn open(root: &Path) -> Result<Self, SourceDirError> {
        if !root.is_dir() {
            return Err(SourceDirError::NotADirectory(root.to_path_buf()));
        }
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(root).follow_links(false) {
            let entry = entry.map_err(|e| SourceDirError::Walk(root.to_path_buf(), e))?;
            if !entry.file_type().is_file() {
                continue;
            }
            let rel = entry
                .path()
                .strip_prefix(root)
                .expect("walkdir yields paths under root");
            let rel = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            files.push(rel);
            if files.len() > MAX_FILES {
                return Err(SourceDirError::TooManyFiles(root.to_path_buf()));
            }
        }
        files.sort();
        Ok(Self {
            root: root.to_path_buf(),
            files,
        })
    }
}

impl BuildContext for SourceDir {
    fn files(&self) -> Vec<String> {
        self.files.clone()
    }

    fn head(&self, path: &str, limit: usize) -> Option<Vec<u8>> {
        if !self.files.iter().any(|f| f == path) {
            return None;
        }
        let file = std::fs::File::open(self.root.join(path)).ok()?;
        let mut buf = Vec::new();
        file.take(limit as u64).read_to_end(&mut buf).ok()?;
        Some(buf)
    }
}

impl SourceTree for SourceDir {}

impl SourceDir {
    /// The directory this tree was read from.
    pub fn root(&self) -> &Path {
        &self.root
    }
}
