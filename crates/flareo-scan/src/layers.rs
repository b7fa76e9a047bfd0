//! Reading an image's layers (tar, gzip or zstd, told apart by their magic
//! bytes) in order, applying OCI whiteouts (`.wh.<name>` removes a lower path,
//! `.wh..wh..opq` empties a lower directory), keeping the files a caller wants
//! with the layer that wrote each. Pure: the layers' bytes are handed over.

use std::collections::BTreeMap;
use std::io::Read;

use crate::catalog::Package;
use crate::secrets::SecretFinding;

/// Largest file kept (package databases and manifests are far smaller).
pub const MAX_FILE: u64 = 64 << 20;

/// A layer could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// The tar stream is damaged.
    #[error("layer {layer}: {reason}")]
    Corrupt {
        /// Index of the layer (0 = base).
        layer: usize,
        /// What failed.
        reason: String,
    },
}

/// The wanted files of an image: the final view, and what each layer wrote.
#[derive(Debug, Default, Clone)]
pub struct ImageFiles {
    /// Path → (layer that last wrote it, content), after all whiteouts.
    pub files: BTreeMap<String, (usize, Vec<u8>)>,
    /// Per layer, the wanted files it wrote (before later layers' whiteouts).
    pub written: Vec<BTreeMap<String, Vec<u8>>>,
    /// Executables of the final image that record their packages (Go build
    /// info, `cargo auditable`): path → (layer that last wrote it, packages).
    /// Filled by [`scan_image`] only.
    pub binaries: BTreeMap<String, (usize, Vec<Package>)>,
}

impl ImageFiles {
    /// A file of the final image.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|(_, c)| c.as_slice())
    }

    /// A file of the final image as text (lossy).
    pub fn text(&self, path: &str) -> Option<String> {
        self.get(path)
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

/// `./a/b` and `/a/b` → `a/b`.
fn normalise(path: &str) -> String {
    path.trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/')
        .to_string()
}

fn decompressed(bytes: &[u8]) -> Result<Box<dyn Read + '_>, String> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(flate2::read::GzDecoder::new(bytes)))
    } else if bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        let decoder = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|e| e.to_string())?;
        Ok(Box::new(decoder))
    } else {
        Ok(Box::new(bytes))
    }
}

/// Removes `path` and everything below it from `files`.
fn remove_tree<T>(files: &mut BTreeMap<String, T>, path: &str) {
    let prefix = format!("{path}/");
    files.retain(|k, _| k != path && !k.starts_with(&prefix));
}

/// Applies `layers` (base first), keeping the files `wanted` selects.
pub fn apply_layers(
    layers: &[&[u8]],
    wanted: impl Fn(&str) -> bool,
) -> Result<ImageFiles, LayerError> {
    walk(layers, wanted, false).map(|(files, _)| files)
}

/// Scans every regular file of every layer for baked-in secrets (a secret a later
/// layer deletes is still in the image). Returns each finding with its layer index.
pub fn scan_secrets(layers: &[&[u8]]) -> Result<Vec<(usize, SecretFinding)>, LayerError> {
    walk(layers, |_| false, true).map(|(_, secrets)| secrets)
}

/// Everything in one pass over the layers (each layer decompressed once): the
/// wanted files of the final image, the packages its executables record
/// ([`ImageFiles::binaries`]), and the secrets of every layer.
pub fn scan_image(
    layers: &[&[u8]],
    wanted: impl Fn(&str) -> bool,
) -> Result<(ImageFiles, Vec<(usize, SecretFinding)>), LayerError> {
    walk(layers, wanted, true)
}

fn walk(
    layers: &[&[u8]],
    wanted: impl Fn(&str) -> bool,
    scan: bool,
) -> Result<(ImageFiles, Vec<(usize, SecretFinding)>), LayerError> {
    let mut image = ImageFiles::default();
    let mut found = Vec::new();
    for (index, bytes) in layers.iter().enumerate() {
        let corrupt = |reason: String| LayerError::Corrupt {
            layer: index,
            reason,
        };
        let reader = decompressed(bytes).map_err(corrupt)?;
        let mut archive = tar::Archive::new(reader);
        let mut whiteouts = Vec::new();
        let mut opaque = Vec::new();
        let mut written: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let mut binaries: BTreeMap<String, Vec<Package>> = BTreeMap::new();
        let mut replaced = Vec::new();
        let mut links = Vec::new();
        let mut buf = Vec::new();
        for entry in archive.entries().map_err(|e| corrupt(e.to_string()))? {
            let mut entry = entry.map_err(|e| corrupt(e.to_string()))?;
            let path = normalise(
                &entry
                    .path()
                    .map_err(|e| corrupt(e.to_string()))?
                    .to_string_lossy(),
            );
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
            if name == ".wh..wh..opq" {
                opaque.push(dir.to_string());
                continue;
            }
            if let Some(hidden) = name.strip_prefix(".wh.") {
                whiteouts.push(if dir.is_empty() {
                    hidden.to_string()
                } else {
                    format!("{dir}/{hidden}")
                });
                continue;
            }
            let kind = entry.header().entry_type();
            if !kind.is_dir() && image.binaries.contains_key(&path) {
                replaced.push(path.clone()); // whatever this layer puts there now
            }
            let keep = wanted(&path);
            if keep && kind.is_hard_link() {
                if let Ok(Some(target)) = entry.link_name() {
                    links.push((path, normalise(&target.to_string_lossy())));
                }
                continue;
            }
            if !kind.is_file() {
                continue;
            }
            let size = entry.size();
            let secrets = scan && !crate::secrets::is_skipped_path(&path);
            let keep = keep && size <= MAX_FILE;
            if !keep && !secrets {
                continue;
            }
            let limit = if keep {
                MAX_FILE
            } else {
                crate::secrets::MAX_SCAN_BYTES as u64
            };
            buf.clear();
            (&mut entry)
                .take(limit)
                .read_to_end(&mut buf)
                .map_err(|e| corrupt(format!("{path}: {e}")))?;
            // Executables: read whole, for the packages they record about themselves.
            binaries.remove(&path);
            if secrets
                && crate::catalog::binary::is_elf(&buf)
                && size <= crate::catalog::binary::MAX_BINARY
            {
                entry
                    .read_to_end(&mut buf)
                    .map_err(|e| corrupt(format!("{path}: {e}")))?;
                let packages = crate::catalog::binary::packages(&path, &buf);
                if !packages.is_empty() {
                    binaries.insert(path.clone(), packages);
                }
            }
            if secrets {
                let head = &buf[..buf.len().min(crate::secrets::MAX_SCAN_BYTES)];
                found.extend(
                    crate::secrets::scan_file(&path, head)
                        .into_iter()
                        .map(|f| (index, f)),
                );
            }
            if keep {
                written.insert(path, buf.clone());
            }
        }
        for (path, target) in links {
            if let Some(c) = written.get(&target).cloned() {
                written.insert(path, c);
            }
        }
        // Whiteouts hide what lower layers had; this layer's own files stay.
        for dir in opaque {
            let prefix = format!("{dir}/");
            image.files.retain(|k, _| !k.starts_with(&prefix));
            image.binaries.retain(|k, _| !k.starts_with(&prefix));
        }
        for path in whiteouts {
            remove_tree(&mut image.files, &path);
            remove_tree(&mut image.binaries, &path);
        }
        for (path, content) in &written {
            image.files.insert(path.clone(), (index, content.clone()));
        }
        for path in replaced {
            image.binaries.remove(&path);
        }
        for (path, packages) in binaries {
            image.binaries.insert(path, (index, packages));
        }
        image.written.push(written);
    }
    Ok((image, found))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tar layer of (path, content) files; `None` content makes a directory.
    pub(crate) fn layer(files: &[(&str, Option<&str>)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, content) in files {
            let mut h = tar::Header::new_gnu();
            match content {
                Some(c) => {
                    h.set_entry_type(tar::EntryType::Regular);
                    h.set_size(c.len() as u64);
                    h.set_mode(0o644);
                    b.append_data(&mut h, path, c.as_bytes()).unwrap();
                }
                None => {
                    h.set_entry_type(tar::EntryType::Directory);
                    h.set_size(0);
                    h.set_mode(0o755);
                    b.append_data(&mut h, path, &[][..]).unwrap();
                }
            }
        }
        b.into_inner().unwrap()
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn whiteouts_and_opaque_directories() {
        let base = gzip(&layer(&[
            ("etc/", None),
            ("etc/a", Some("a0")),
            ("etc/b", Some("b0")),
            ("opt/x/", None),
            ("opt/x/one", Some("1")),
            ("opt/x/two", Some("2")),
            ("srv/keep", Some("k")),
        ]));
        let top = layer(&[
            ("etc/.wh.a", Some("")),
            ("etc/b", Some("b1")),
            ("opt/x/.wh..wh..opq", Some("")),
            ("opt/x/three", Some("3")),
        ]);
        let image = apply_layers(&[&base, &top], |_| true).unwrap();
        let paths: Vec<&str> = image.files.keys().map(String::as_str).collect();
        assert_eq!(paths, ["etc/b", "opt/x/three", "srv/keep"]);
        assert_eq!(image.files["etc/b"], (1, b"b1".to_vec()));
        assert_eq!(image.files["srv/keep"].0, 0);
        assert_eq!(image.written[0].len(), 5);
    }

    #[test]
    fn wanted_filters_and_damage_is_reported() {
        let l = layer(&[("a/status", Some("s")), ("a/other", Some("o"))]);
        let image = apply_layers(&[&l], |p| p.ends_with("status")).unwrap();
        assert_eq!(image.files.len(), 1);
        let mut broken = gzip(&l);
        broken.truncate(broken.len() / 2);
        let e = apply_layers(&[&l, &broken], |_| true)
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("layer 1:"), "{e}");
    }

    #[test]
    fn secrets_in_deleted_files_are_still_found() {
        let key = format!(
            "aws_secret_access_key = {}\n",
            "Zq8vR3kW9pLm2XcT7bN4yHd6Fs1GjA5eKu0oQiVw"
        );
        let base = layer(&[("app/.env", Some(&key)), ("app/readme", Some("hello"))]);
        let top = layer(&[("app/.wh..env", Some(""))]);
        let found = scan_secrets(&[&base, &top]).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, 0);
        assert_eq!(found[0].1.path, "app/.env");
        assert!(!found[0].1.to_string().contains("Zq8vR3kW9pLm2XcT7bN4"));
    }
}
