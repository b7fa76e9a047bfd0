//! Safe extraction of a submission archive (tar, optionally gzip-compressed).
//!
//! Guarantees: nothing is written outside the destination; every entry is a
//! regular file, a directory, or a symbolic link whose target stays inside the
//! root; hard links, devices and FIFOs are refused; total size, entry count and
//! compression ratio are capped while reading, so a bomb stops early. Every
//! refusal names the entry.

use std::cell::{Cell, RefCell};
use std::io::{self, BufReader, Read};
use std::path::{Component, Path, PathBuf};
use std::rc::Rc;

use crate::config::ArchiveLimits;

/// Uncompressed bytes below which the ratio cap does not apply (small files of
/// text compress very well and are harmless).
const RATIO_FLOOR: u64 = 16 << 20;

/// Why extraction stopped. Nothing useful is left in the destination.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    /// An entry broke a rule.
    #[error("submission archive: entry {entry:?}: {reason}")]
    Entry {
        /// The entry's path as stored in the archive.
        entry: String,
        /// The rule it broke.
        reason: String,
    },
    /// A cap was exceeded.
    #[error("submission archive: {0}")]
    Limit(String),
    /// The archive is not a readable tar (or gzip) stream.
    #[error("submission archive: {0}")]
    Io(#[from] io::Error),
}

/// What was extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extracted {
    /// Entries written.
    pub entries: u64,
    /// Bytes of file content written.
    pub bytes: u64,
}

/// Counts bytes passing through a reader.
struct Counting<R> {
    inner: R,
    count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

/// The decompressed stream, stopping with an error the moment a cap is exceeded,
/// so a bomb is never written out in full.
struct Capped<R> {
    inner: R,
    compressed: Rc<Cell<u64>>,
    uncompressed: u64,
    gzip: bool,
    limits: ArchiveLimits,
    tripped: Rc<RefCell<Option<String>>>,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.uncompressed += n as u64;
        let (c, u) = (self.compressed.get(), self.uncompressed);
        let why = if u > self.limits.max_bytes {
            Some(format!(
                "more than {} bytes uncompressed: make the context smaller (.dockerignore what the build does not need)",
                self.limits.max_bytes
            ))
        } else if self.gzip && u > RATIO_FLOOR && u > c.max(1).saturating_mul(self.limits.max_ratio)
        {
            Some(format!(
                "decompresses more than {}x ({u} bytes from {c}): refusing a likely decompression bomb",
                self.limits.max_ratio
            ))
        } else {
            None
        };
        if let Some(why) = why {
            *self.tripped.borrow_mut() = Some(why.clone());
            return Err(io::Error::other(why));
        }
        Ok(n)
    }
}

/// Extracts `archive` into the existing empty directory `dest`.
pub fn extract(
    archive: &Path,
    dest: &Path,
    limits: &ArchiveLimits,
) -> Result<Extracted, ExtractError> {
    let mut file = BufReader::new(std::fs::File::open(archive)?);
    let gzip = {
        use std::io::BufRead;
        file.fill_buf()?.starts_with(&[0x1f, 0x8b])
    };
    let compressed = Rc::new(Cell::new(0));
    let raw = Counting {
        inner: file,
        count: compressed.clone(),
    };
    let stream: Box<dyn Read> = if gzip {
        Box::new(flate2::read::GzDecoder::new(raw))
    } else {
        Box::new(raw)
    };
    let tripped = Rc::new(RefCell::new(None));
    let capped = Capped {
        inner: stream,
        compressed,
        uncompressed: 0,
        gzip,
        limits: limits.clone(),
        tripped: tripped.clone(),
    };
    let mut tar = tar::Archive::new(capped);
    let mut out = Extracted {
        entries: 0,
        bytes: 0,
    };
    let limit_or = |e: io::Error| match tripped.borrow().clone() {
        Some(why) => ExtractError::Limit(why),
        None => ExtractError::Io(e),
    };
    let result = (|| -> Result<(), ExtractError> {
        for entry in tar.entries().map_err(limit_or)? {
            let mut entry = entry.map_err(limit_or)?;
            out.entries += 1;
            if out.entries > limits.max_entries {
                return Err(ExtractError::Limit(format!(
                    "more than {} entries: make the context smaller",
                    limits.max_entries
                )));
            }
            let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
            let refuse = |reason: &str| ExtractError::Entry {
                entry: name.clone(),
                reason: reason.to_string(),
            };
            let relative = safe_relative(&name).map_err(|r| refuse(&r))?;
            let kind = entry.header().entry_type();
            match kind {
                tar::EntryType::Regular
                | tar::EntryType::Continuous
                | tar::EntryType::Directory => {}
                tar::EntryType::Symlink => {
                    let target = entry
                        .link_name()
                        .map_err(limit_or)?
                        .ok_or_else(|| refuse("symbolic link without a target"))?;
                    if !link_stays_inside(&relative, &target) {
                        return Err(refuse(&format!(
                            "symbolic link to {} points outside the archive root",
                            target.display()
                        )));
                    }
                }
                tar::EntryType::Link => {
                    return Err(refuse(
                        "hard links are not allowed; store a copy or a relative symbolic link",
                    ));
                }
                tar::EntryType::Char | tar::EntryType::Block => {
                    return Err(refuse("device files are not allowed in a build context"));
                }
                tar::EntryType::Fifo => {
                    return Err(refuse("FIFOs are not allowed in a build context"));
                }
                other => return Err(refuse(&format!("unsupported entry type {other:?}"))),
            }
            if relative.as_os_str().is_empty() {
                continue;
            }
            out.bytes += entry.header().size().map_err(limit_or)?;
            if out.bytes > limits.max_bytes {
                return Err(ExtractError::Limit(format!(
                    "more than {} bytes uncompressed: make the context smaller (.dockerignore what the build does not need)",
                    limits.max_bytes
                )));
            }
            // A link extracted earlier must not redirect a later entry's parent.
            let mut parent = dest.to_path_buf();
            for component in relative.parent().into_iter().flat_map(Path::components) {
                parent.push(component);
                if parent
                    .symlink_metadata()
                    .is_ok_and(|m| m.file_type().is_symlink())
                {
                    return Err(refuse("a path through a symbolic link is not allowed"));
                }
            }
            entry.set_preserve_permissions(false);
            entry.set_unpack_xattrs(false);
            if !entry.unpack_in(dest).map_err(limit_or)? {
                return Err(refuse("would be written outside the destination"));
            }
        }
        Ok(())
    })();
    result.map(|()| out)
}

/// The entry's path as a clean relative path, or why not.
fn safe_relative(name: &str) -> Result<PathBuf, String> {
    if name.starts_with('/') {
        return Err("absolute paths are not allowed".into());
    }
    let mut out = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(c) => out.push(c),
            Component::CurDir => {}
            Component::ParentDir => return Err("`..` in a path is not allowed".into()),
            Component::RootDir | Component::Prefix(_) => {
                return Err("absolute paths are not allowed".into());
            }
        }
    }
    Ok(out)
}

/// Whether a symlink at `at` (relative to the root) pointing to `target` resolves,
/// lexically, to a path inside the root.
pub fn link_stays_inside(at: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth: Vec<&std::ffi::OsStr> = at
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    for component in target.components() {
        match component {
            Component::Normal(n) => depth.push(n),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::{link_stays_inside, safe_relative};
    use std::path::Path;

    #[test]
    fn links_inside_and_outside() {
        assert!(link_stays_inside(Path::new("a/b"), Path::new("../c")));
        assert!(link_stays_inside(Path::new("a/b"), Path::new("c/./d")));
        assert!(!link_stays_inside(Path::new("a/b"), Path::new("../../c")));
        assert!(!link_stays_inside(Path::new("b"), Path::new("/etc/passwd")));
        assert!(!link_stays_inside(
            Path::new("a/b"),
            Path::new("x/../../../y")
        ));
    }

    #[test]
    fn relative_paths() {
        assert_eq!(safe_relative("./a/b").unwrap(), Path::new("a/b"));
        assert!(safe_relative("/etc").is_err());
        assert!(safe_relative("a/../../b").is_err());
    }
}
