//! Packing a module directory into the submission tarball `flareo publish`
//! uploads: gzip'd tar of the files `.dockerignore` keeps, plus the recipe and
//! the Dockerfile it names even when ignored (Docker sends the Dockerfile too).
//! Deterministic: sorted names, zero times and owners, so the same directory
//! packs to the same bytes. Symbolic links stay links and must stay inside.

use std::io::Write;
use std::path::Path;

use flareo_dockerfile::dockerignore::DockerIgnore;

use crate::extract::link_stays_inside;

/// Why a directory could not be packed.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    /// A symbolic link points outside the directory.
    #[error("packing {0}: symbolic link points outside the module directory")]
    EscapingLink(String),
    /// A device, FIFO or socket.
    #[error("packing {0}: not a regular file, directory or link; remove it")]
    SpecialFile(String),
    /// Reading failed.
    #[error("packing {0}: {1}")]
    Io(String, std::io::Error),
}

/// Packs `dir` into a `.tar.gz`; `always` names files included even when
/// `.dockerignore` excludes them (the recipe and the Dockerfile).
pub fn pack(dir: &Path, always: &[&str]) -> Result<Vec<u8>, PackError> {
    let ignore = std::fs::read_to_string(dir.join(".dockerignore"))
        .ok()
        .map(|t| DockerIgnore::parse(&t));
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = entry.map_err(|e| PackError::Io(dir.display().to_string(), e.into()))?;
        let rel = entry
            .path()
            .strip_prefix(dir)
            .expect("walkdir stays under its root");
        if rel.as_os_str().is_empty() {
            continue;
        }
        let name = rel.to_string_lossy().into_owned();
        let kind = entry.file_type();
        let forced = always.iter().any(|a| a.trim_start_matches("./") == name);
        if !kind.is_dir() && !forced && ignore.as_ref().is_some_and(|i| i.is_excluded(&name)) {
            continue;
        }
        let io = |e| PackError::Io(name.clone(), e);
        if kind.is_symlink() {
            let target = std::fs::read_link(entry.path()).map_err(io)?;
            if !link_stays_inside(rel, &target) {
                return Err(PackError::EscapingLink(name));
            }
        } else if !kind.is_dir() && !kind.is_file() {
            return Err(PackError::SpecialFile(name));
        }
        tar.append_path_with_name(entry.path(), rel).map_err(io)?;
    }
    let gz = tar
        .into_inner()
        .map_err(|e| PackError::Io("tar".into(), e))?;
    let mut bytes = gz.finish().map_err(|e| PackError::Io("gzip".into(), e))?;
    bytes.flush().map_err(|e| PackError::Io("gzip".into(), e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ArchiveLimits;

    #[test]
    fn honours_dockerignore_and_round_trips_through_extract() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join(".dockerignore"), "secret.txt\nDockerfile\nbuild/\n").unwrap();
        std::fs::write(d.join("Dockerfile"), "FROM busybox:1.35\n").unwrap();
        std::fs::write(d.join("flareo.yaml"), "slug: x\n").unwrap();
        std::fs::write(d.join("secret.txt"), "hunter2").unwrap();
        std::fs::create_dir(d.join("build")).unwrap();
        std::fs::write(d.join("build/out"), "x").unwrap();
        std::fs::create_dir(d.join("src")).unwrap();
        std::fs::write(d.join("src/main.sh"), "echo hi").unwrap();
        std::os::unix::fs::symlink("main.sh", d.join("src/link")).unwrap();
        let a = pack(d, &["flareo.yaml", "./Dockerfile"]).unwrap();
        assert_eq!(
            a,
            pack(d, &["flareo.yaml", "./Dockerfile"]).unwrap(),
            "deterministic"
        );

        let out = tempfile::tempdir().unwrap();
        let file = out.path().join("c.tar.gz");
        std::fs::write(&file, &a).unwrap();
        let root = out.path().join("root");
        std::fs::create_dir(&root).unwrap();
        crate::extract::extract(&file, &root, &ArchiveLimits::default()).unwrap();
        assert!(
            root.join("Dockerfile").is_file(),
            "forced in despite .dockerignore"
        );
        assert!(root.join("src/main.sh").is_file());
        assert!(root.join("src/link").is_symlink());
        assert!(!root.join("secret.txt").exists(), "ignored");
        assert!(
            !root.join("build/out").exists(),
            "ignored directory's files"
        );
    }

    #[test]
    fn refuses_links_out() {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink("/etc/passwd", dir.path().join("p")).unwrap();
        let e = pack(dir.path(), &[]).unwrap_err().to_string();
        assert!(e.contains("points outside"), "{e}");
    }
}
