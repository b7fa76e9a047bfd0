//! Real-buildah fixtures: a data directory with its own engine, blob store and
//! base-image cache (BusyBox, built offline by scripts/base-images.sh), module
//! directories written to disk, and readers for files inside built images.
#![allow(dead_code)]

use std::io::Read;
use std::path::Path;
use std::sync::{Arc, Mutex};

use flareo_build::{
    BaseCache, BuildError, BuildOutput, BuildRequest, Engine, LogSink, OperatorConfig, Source,
};
use flareo_dockerfile::rules::ApprovedBase;
use flareo_oci::BlobStore;

pub use flareo_testkit::base_image;

/// A data directory with an engine, a blob store and BusyBox in the base cache.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub engine: Arc<Engine>,
    pub store: BlobStore,
    pub config: OperatorConfig,
}

impl Fixture {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Arc::new(Engine::open(dir.path()).expect("engine opens"));
        let (name, file) = base_image("busybox");
        BaseCache::new(&engine)
            .import(&name, &file)
            .expect("import busybox");
        let store = BlobStore::local(&dir.path().join("blobs")).expect("store");
        let mut config = OperatorConfig::default();
        config.approved_bases.push(ApprovedBase {
            image: name,
            digest: None,
            config: None,
        });
        Self {
            dir,
            engine,
            store,
            config,
        }
    }

    /// Builds a module directory; returns the result and every log line.
    pub fn build(&self, source: Source) -> (Result<BuildOutput, BuildError>, Vec<String>) {
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink: LogSink = {
            let lines = lines.clone();
            Arc::new(move |l: &str| lines.lock().unwrap().push(l.to_string()))
        };
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let result = runtime.block_on(flareo_build::build(
            self.engine.clone(),
            &self.store,
            &self.config,
            BuildRequest {
                source,
                source_date_epoch: 1_700_000_000,
            },
            sink,
        ));
        let lines = lines.lock().unwrap().clone();
        (result, lines)
    }

    pub fn build_dir(&self, dir: &Path) -> (Result<BuildOutput, BuildError>, Vec<String>) {
        self.build(Source::Dir(dir.to_path_buf()))
    }

    /// A file of a built image, from the topmost layer holding it: (bytes, uid, gid).
    pub fn image_file(&self, output: &BuildOutput, path: &str) -> Option<(Vec<u8>, u64, u64)> {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        for layer in output.image.layers.iter().rev() {
            let blob = runtime
                .block_on(self.store.get(&layer.digest))
                .expect("layer blob");
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&blob[..]));
            for entry in archive.entries().expect("tar") {
                let mut entry = entry.expect("entry");
                let name = entry.path().expect("path").display().to_string();
                if name.trim_start_matches("./") == path.trim_start_matches('/') {
                    let (uid, gid) = (entry.header().uid().unwrap(), entry.header().gid().unwrap());
                    let mut bytes = Vec::new();
                    entry.read_to_end(&mut bytes).expect("read");
                    return Some((bytes, uid, gid));
                }
            }
        }
        None
    }

    /// Every (path, uid, gid) in the image's layers.
    pub fn owners(&self, output: &BuildOutput) -> Vec<(String, u64, u64)> {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let mut out = Vec::new();
        for layer in &output.image.layers {
            let blob = runtime
                .block_on(self.store.get(&layer.digest))
                .expect("layer blob");
            let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&blob[..]));
            for entry in archive.entries().expect("tar") {
                let entry = entry.expect("entry");
                out.push((
                    entry.path().unwrap().display().to_string(),
                    entry.header().uid().unwrap(),
                    entry.header().gid().unwrap(),
                ));
            }
        }
        out
    }

    /// What the engine's storage and runtime still hold: buildah working
    /// containers, runc state directories, and cgroups of this engine's scope.
    pub fn leftovers(&self) -> Vec<String> {
        let mut left = Vec::new();
        let mut containers = self.engine.buildah();
        containers.args(["containers", "--noheading", "--quiet"]);
        let out = containers.output().expect("buildah containers");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            left.push(format!("buildah container {line}"));
        }
        let mut images = self.engine.buildah();
        images.args(["images", "--noheading", "--format", "{{.Name}}"]);
        let out = images.output().expect("buildah images");
        for line in String::from_utf8_lossy(&out.stdout).lines() {
            if line.contains("flareo-build-") {
                left.push(format!("build image {line}"));
            }
        }
        for entry in std::fs::read_dir(self.engine.dir().join("runc"))
            .unwrap()
            .flatten()
        {
            left.push(format!("runc root {}", entry.path().display()));
        }
        for h in std::fs::read_dir("/sys/fs/cgroup").unwrap().flatten() {
            let scope = h.path().join("flareo").join(self.engine.scope());
            if let Ok(children) = std::fs::read_dir(&scope) {
                for c in children.flatten().filter(|c| c.path().is_dir()) {
                    left.push(format!("cgroup {}", c.path().display()));
                }
            }
        }
        left
    }
}

/// Writes `files` (path, content) into a new temporary module directory.
pub fn module(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, content) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, content).unwrap();
    }
    dir
}

/// The OCI labels, user and healthcheck that keep lint quiet.
pub const TAIL: &str = "LABEL org.opencontainers.image.source=https://example.com/x org.opencontainers.image.licenses=MIT org.opencontainers.image.description=test\nUSER 1000\nHEALTHCHECK CMD true\nCMD [\"/bin/sh\"]\n";
