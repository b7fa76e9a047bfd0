//! The build context handed to buildah: the module's files minus what
//! `.dockerignore` excludes, plus the files lowering generated. Symbolic links are
//! copied as links and must stay inside the context.

use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use flareo_dockerfile::dockerignore::DockerIgnore;
use flareo_dockerfile::lower::GeneratedFile;

use crate::extract::link_stays_inside;

/// Why the context could not be prepared.
#[derive(Debug, thiserror::Error)]
pub enum ContextError {
    /// A symbolic link in the source points outside it.
    #[error("build context: {0} is a symbolic link pointing outside the context")]
    EscapingLink(String),
    /// The source holds something that is not a file, directory or link.
    #[error("build context: {0} is a device, FIFO or socket; remove it from the context")]
    SpecialFile(String),
    /// Copying failed.
    #[error("build context: {0}: {1}")]
    Io(String, io::Error),
}

/// Copies `source` into the empty directory `dest`, honouring `.dockerignore`,
/// then writes `generated`.
pub fn prepare(
    source: &Path,
    dest: &Path,
    generated: &[GeneratedFile],
) -> Result<u64, ContextError> {
    let ignore = std::fs::read_to_string(source.join(".dockerignore"))
        .ok()
        .map(|t| DockerIgnore::parse(&t));
    let mut copied = 0;
    let walker = walkdir::WalkDir::new(source)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    for entry in walker {
        let entry = entry.map_err(|e| ContextError::Io(source.display().to_string(), e.into()))?;
        let rel = entry.path().strip_prefix(source).expect("under source");
        if rel.as_os_str().is_empty() {
            continue;
        }
        let name = rel.to_string_lossy().into_owned();
        let kind = entry.file_type();
        if ignore.as_ref().is_some_and(|i| i.is_excluded(&name)) {
            // An excluded directory may still hold re-included files (`!dir/keep`),
            // so only whole files are skipped.
            if !kind.is_dir() {
                continue;
            }
        }
        let target = dest.join(rel);
        let io = |e| ContextError::Io(name.clone(), e);
        if kind.is_dir() {
            std::fs::create_dir_all(&target).map_err(io)?;
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).map_err(io)?;
            copied += 1;
        } else if kind.is_symlink() {
            let link = std::fs::read_link(entry.path()).map_err(io)?;
            if !link_stays_inside(rel, &link) {
                return Err(ContextError::EscapingLink(name));
            }
            std::os::unix::fs::symlink(&link, &target).map_err(io)?;
        } else {
            return Err(ContextError::SpecialFile(name));
        }
    }
    for file in generated {
        let target = dest.join(&file.path);
        let io = |e| ContextError::Io(file.path.clone(), e);
        std::fs::create_dir_all(
            target
                .parent()
                .expect("generated files live in a directory"),
        )
        .map_err(io)?;
        std::fs::write(&target, &file.content).map_err(io)?;
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(file.mode))
            .map_err(io)?;
    }
    Ok(copied)
}
