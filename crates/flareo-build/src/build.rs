//! One build: source → lint → lowered Dockerfile → buildah under the limits, in
//! an empty network namespace → OCI image in the blob store, with the log streamed
//! line by line as it happens.

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use flareo_dockerfile::{BuildPath, ImageRef};
use flareo_lint::{Report, Verdict};
use flareo_oci::{BlobStore, ImageSummary, LayoutError};
use serde::Serialize;

use crate::bases::{BaseCache, BaseError};
use crate::cgroup::BuildCgroup;
use crate::config::OperatorConfig;
use crate::context::ContextError;
use crate::engine::{BUILD_IMAGE_PREFIX, Engine, EngineError, USERNS_MAP};
use crate::extract::ExtractError;
use crate::network_log::{NetworkFailure, network_failure};
use crate::source_dir::{SourceDir, SourceDirError};

/// Receives the build log, one line at a time, as it is produced.
pub type LogSink = Arc<dyn Fn(&str) + Send + Sync>;

/// How often the layer size is measured while building.
const LAYER_POLL: Duration = Duration::from_secs(1);
/// How long buildah gets to clean up after SIGTERM before SIGKILL.
const TERM_GRACE: Duration = Duration::from_secs(10);

/// What to build.
#[derive(Debug, Clone)]
pub enum Source {
    /// A module directory.
    Dir(PathBuf),
    /// A submission tarball (`.tar` or `.tar.gz`), extracted safely first.
    Archive(PathBuf),
}

/// A build request.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// The module's source.
    pub source: Source,
    /// Seconds since the epoch stamped on the image and its files: the commit time,
    /// or a fixed epoch for uploads.
    pub source_date_epoch: u64,
}

/// A successful build.
#[derive(Debug, Clone, Serialize)]
pub struct BuildOutput {
    /// The image, stored in the blob store.
    #[serde(flatten)]
    pub image: ImageSummary,
    /// Wall-clock duration of the whole build.
    pub duration_s: f64,
    /// The lint report (warnings only, or it would not have built).
    #[serde(skip)]
    pub lint: Report,
    /// The full build log.
    #[serde(skip)]
    pub log: String,
    /// The log's digest in the blob store.
    pub log_digest: flareo_oci::Digest,
}

/// Why a build failed. Display strings are the seed's messages where it has them.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The source could not be listed.
    #[error(transparent)]
    SourceDir(#[from] SourceDirError),
    /// The submission archive was refused.
    #[error(transparent)]
    Archive(#[from] ExtractError),
    /// Lint rejected the module; nothing reached buildah.
    #[error("lint rejected the module: {}", first_error(.0))]
    Lint(Report),
    /// The module has no Dockerfile (buildpack builds are not run by this worker).
    #[error("{0}")]
    Unsupported(String),
    /// A base image is not in the cache, or its digest does not match.
    #[error("{message}")]
    Base {
        /// 1-based Dockerfile line of the `FROM` (or `--from`).
        line: usize,
        /// e.g. `base image not in approved list: node:99`.
        message: String,
    },
    /// The context could not be prepared.
    #[error(transparent)]
    Context(#[from] ContextError),
    /// The wall-clock limit was hit; the whole process tree was killed.
    #[error("build exceeded {} time limit", human(*.0))]
    Timeout(Duration),
    /// Layers grew past the limit.
    #[error("layer size limit exceeded")]
    LayerSize {
        /// Bytes seen.
        seen: u64,
        /// The limit.
        limit: u64,
    },
    /// A RUN tried to reach the network.
    #[error("{}", .0.message())]
    Network(NetworkFailure),
    /// buildah reported a failure (a failing RUN, a missing file, ...).
    #[error("build failed: {0}")]
    Failed(String),
    /// buildah, runc or skopeo could not be used.
    #[error(transparent)]
    Engine(#[from] EngineError),
    /// The base cache index could not be read.
    #[error(transparent)]
    Bases(#[from] BaseError),
    /// Reading or storing the image failed.
    #[error(transparent)]
    Store(#[from] LayoutError),
    /// The blob store failed while storing the log.
    #[error(transparent)]
    Blob(#[from] flareo_oci::StoreError),
    /// A local I/O failure.
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
}

fn first_error(report: &Report) -> String {
    report
        .findings
        .iter()
        .find(|f| f.severity == flareo_dockerfile::Severity::Error)
        .map(|f| format!("{}:{}: {}", f.file, f.line, f.message))
        .unwrap_or_default()
}

/// `10-minute`, `5-second`, `90-second`.
fn human(d: Duration) -> String {
    let s = d.as_secs();
    if s >= 60 && s.is_multiple_of(60) {
        format!("{}-minute", s / 60)
    } else {
        format!("{s}-second")
    }
}

/// Builds `request` and stores the image in `store`.
pub async fn build(
    engine: Arc<Engine>,
    store: &BlobStore,
    config: &OperatorConfig,
    request: BuildRequest,
    sink: LogSink,
) -> Result<BuildOutput, BuildError> {
    let started = Instant::now();
    let config2 = config.clone();
    let log = Arc::new(std::sync::Mutex::new(String::new()));
    let tee: LogSink = {
        let log = log.clone();
        Arc::new(move |line: &str| {
            if let Ok(mut l) = log.lock() {
                l.push_str(line);
                l.push('\n');
            }
            sink(line);
        })
    };
    let engine2 = engine.clone();
    let tee2 = tee.clone();
    let built = tokio::task::spawn_blocking(move || run_build(&engine2, &config2, &request, &tee2))
        .await
        .map_err(|e| BuildError::Io("build task".into(), std::io::Error::other(e)))??;
    let image = flareo_oci::ingest_layout(store, &built.layout).await?;
    let layers: u64 = image.layers.iter().map(|l| l.size).sum();
    if layers > config.build.layer_bytes {
        return Err(BuildError::LayerSize {
            seen: layers,
            limit: config.build.layer_bytes,
        });
    }
    tee(&format!(
        "image {} ({} bytes, {} layers)",
        image.digest,
        image.size,
        image.layers.len()
    ));
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let log_digest = store.put(log.clone().into()).await?;
    Ok(BuildOutput {
        image,
        duration_s: started.elapsed().as_secs_f64(),
        lint: built.report.clone(),
        log,
        log_digest,
    })
}

/// The blocking part's result: an OCI layout in a work directory.
struct Built {
    _work: tempfile::TempDir,
    layout: PathBuf,
    report: Report,
}

static BUILD_COUNTER: AtomicU64 = AtomicU64::new(0);

fn build_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "b{}-{}-{nanos:x}",
        std::process::id(),
        BUILD_COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// Removes a build's runtime leftovers however the build ends.
struct Cleanup<'a> {
    engine: &'a Engine,
    id: String,
}

impl Drop for Cleanup<'_> {
    fn drop(&mut self) {
        self.engine.cleanup_build(&self.id);
        let mut rmi = self.engine.buildah();
        rmi.args([
            "rmi",
            "--force",
            &format!("{BUILD_IMAGE_PREFIX}{}", self.id),
        ]);
        let _ = rmi.stdout(Stdio::null()).stderr(Stdio::null()).status();
        let mut rm = self.engine.buildah();
        rm.args(["rm", "--all"]);
        let _ = rm.stdout(Stdio::null()).stderr(Stdio::null()).status();
    }
}

fn run_build(
    engine: &Engine,
    config: &OperatorConfig,
    request: &BuildRequest,
    sink: &LogSink,
) -> Result<Built, BuildError> {
    // The wall clock runs from the start of the build, extraction and lint included.
    let deadline = Instant::now() + config.build.timeout();
    let work = engine.work_dir()?;
    let source = match &request.source {
        Source::Dir(dir) => dir.clone(),
        Source::Archive(file) => {
            let dest = work.path().join("source");
            std::fs::create_dir(&dest)
                .map_err(|e| BuildError::Io(dest.display().to_string(), e))?;
            let got = crate::extract::extract(file, &dest, &config.archive)?;
            sink(&format!(
                "extracted {} entries ({} bytes)",
                got.entries, got.bytes
            ));
            dest
        }
    };

    // Lint: a rejected module never reaches buildah.
    let tree = SourceDir::open(&source)?;
    let report = flareo_lint::check_module(&tree, &config.lint_config());
    for f in &report.findings {
        sink(&format!(
            "lint: {}[{}] {}:{}: {}",
            f.severity.as_str(),
            f.code,
            f.file,
            f.line,
            f.message
        ));
    }
    if report.verdict == Verdict::Reject {
        return Err(BuildError::Lint(report));
    }
    let dockerfile_path = match flareo_dockerfile::detect(
        &flareo_dockerfile::rules::BuildContext::files(&tree),
        &entry_of(&source),
    ) {
        Ok(BuildPath::Dockerfile { path }) => path,
        Ok(other) => {
            return Err(BuildError::Unsupported(format!(
                "build path {} is not supported by this worker: add a Dockerfile",
                other.label()
            )));
        }
        Err(e) => return Err(BuildError::Unsupported(e.to_string())),
    };
    let text = std::fs::read(source.join(&dockerfile_path))
        .map_err(|e| BuildError::Io(dockerfile_path.clone(), e))?;
    let parsed =
        flareo_dockerfile::parse_bytes(&text).map_err(|e| BuildError::Failed(e.to_string()))?;
    let program =
        flareo_dockerfile::check(&parsed).map_err(|e| BuildError::Failed(e.to_string()))?;

    // Pin every image to the cache.
    let cache = BaseCache::new(engine);
    let bases = cache.list()?;
    let pins = config.approved_bases.clone();
    let pin = |reference: &ImageRef| -> Result<String, String> {
        let name = ImageRef {
            tag: None,
            digest: None,
            ..reference.clone()
        }
        .familiar();
        let tag = reference.tag.as_deref().unwrap_or("latest");
        let Some(base) = bases.iter().find(|b| b.name == name && b.tag == tag) else {
            return Err(format!(
                "base image not in approved list: {}",
                reference.familiar()
            ));
        };
        for wanted in reference.digest.iter().chain(
            pins.iter()
                .filter(|p| {
                    ImageRef::parse(&p.image).is_ok_and(|r| {
                        r.repository == reference.repository && r.tag == reference.tag
                    })
                })
                .filter_map(|p| p.digest.as_ref()),
        ) {
            if *wanted != base.digest {
                return Err(format!(
                    "base image {}:{tag} is pinned to {wanted}, but the cache holds {}: update the pin, or import that digest with `flareo base import`",
                    name, base.digest
                ));
            }
        }
        Ok(base.pinned())
    };
    let lowered = flareo_dockerfile::lower(&program, &pin).map_err(|e| match e {
        flareo_dockerfile::LowerError::Image { line, message } => {
            BuildError::Base { line, message }
        }
        other => BuildError::Failed(other.to_string()),
    })?;

    let context = work.path().join("context");
    std::fs::create_dir(&context).map_err(|e| BuildError::Io(context.display().to_string(), e))?;
    crate::context::prepare(&source, &context, &lowered.files)?;
    let dockerfile = work.path().join("Dockerfile.lowered");
    let ignorefile = work.path().join("dockerignore.empty");
    for (path, content) in [
        (&dockerfile, lowered.dockerfile.as_str()),
        (&ignorefile, ""),
    ] {
        std::fs::write(path, content).map_err(|e| BuildError::Io(path.display().to_string(), e))?;
    }

    let id = build_id();
    let _cleanup = Cleanup {
        engine,
        id: id.clone(),
    };
    let limits = &config.build;
    let cgroup = BuildCgroup::create(engine.scope(), &id, limits.pids)
        .map_err(|e| BuildError::Io("creating the build's cgroup".into(), e))?;
    let image_name = format!("{BUILD_IMAGE_PREFIX}{id}");
    let mut cmd = engine.buildah();
    cmd.arg("bud")
        // Docker format: OCI image configs have no HEALTHCHECK, SHELL or ONBUILD.
        .args([
            "--pull=never",
            "--network",
            "host",
            "--dns=none",
            "--format",
            "docker",
        ])
        .args([
            "--layers=false",
            "--no-cache",
            "--rm",
            "--force-rm",
            "--identity-label=false",
        ])
        .args([
            "--userns-uid-map",
            USERNS_MAP,
            "--userns-gid-map",
            USERNS_MAP,
        ])
        .arg(format!("--memory={}b", limits.memory_bytes))
        .arg("--memory-swap=-1")
        .args(["--cpu-period", "100000"])
        .arg(format!("--cpu-quota={}", u64::from(limits.cpus) * 100_000))
        .arg(format!("--cgroup-parent={}", cgroup.parent_for_buildah()))
        .args(["--runtime", "runc"])
        .arg(format!(
            "--runtime-flag=root={}",
            engine.runc_root(&id).display()
        ))
        .arg(format!("--timestamp={}", request.source_date_epoch))
        .arg("--ignorefile")
        .arg(&ignorefile)
        .arg("-f")
        .arg(&dockerfile)
        .args(["-t", &image_name])
        .arg(&context)
        .env("SOURCE_DATE_EPOCH", request.source_date_epoch.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    sink(&format!(
        "building {dockerfile_path} with buildah (pinned: {})",
        lowered
            .images
            .iter()
            .map(|(w, p)| format!("{w} → {p}"))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let child = crate::netns::spawn_without_network(cmd)
        .map_err(|e| BuildError::Io("starting buildah".into(), e))?;
    let outcome = supervise(child, engine, limits, deadline, sink)?;
    match outcome {
        Outcome::Success => {}
        Outcome::Failed { error, network } => {
            if let Some(n) = network {
                sink(&n.message());
                return Err(BuildError::Network(n));
            }
            return Err(BuildError::Failed(error));
        }
        Outcome::TimedOut => return Err(BuildError::Timeout(limits.timeout())),
        Outcome::LayerLimit(seen) => {
            return Err(BuildError::LayerSize {
                seen,
                limit: limits.layer_bytes,
            });
        }
    }

    let layout = work.path().join("layout");
    let mut push = engine.buildah();
    push.args(["push", "--quiet", "--format", "v2s2", &image_name])
        .arg(format!("oci:{}:latest", layout.display()));
    engine.run("buildah push", push)?;
    flareo_oci::normalize_docker_config(&layout)?;
    Ok(Built {
        _work: work,
        layout,
        report,
    })
}

fn entry_of(source: &Path) -> String {
    std::fs::read_to_string(source.join(flareo_lint::RECIPE_FILE))
        .ok()
        .and_then(|t| flareo_lint::recipe_entry(&t))
        .unwrap_or_else(|| "Dockerfile".to_string())
}

enum Outcome {
    Success,
    Failed {
        error: String,
        network: Option<NetworkFailure>,
    },
    TimedOut,
    LayerLimit(u64),
}

/// Streams the child's output to `sink` and enforces the time and layer limits.
fn supervise(
    mut child: Child,
    engine: &Engine,
    limits: &crate::config::Limits,
    deadline: Instant,
    sink: &LogSink,
) -> Result<Outcome, BuildError> {
    let (tx, rx) = mpsc::channel::<String>();
    let mut readers = Vec::new();
    for stream in [
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn std::io::Read + Send>),
    ]
    .into_iter()
    .flatten()
    {
        let tx = tx.clone();
        readers.push(std::thread::spawn(move || {
            for line in BufReader::new(stream).split(b'\n').map_while(Result::ok) {
                if tx
                    .send(String::from_utf8_lossy(&line).into_owned())
                    .is_err()
                {
                    break;
                }
            }
        }));
    }
    drop(tx);

    let baseline = layer_dirs(&engine.layers_dir());
    let mut next_poll = Instant::now() + LAYER_POLL;
    let mut last_error = String::new();
    let mut network = None;
    let mut stop: Option<Outcome> = None;
    loop {
        match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(line) => {
                if network.is_none() {
                    network = network_failure(&line);
                }
                if line.starts_with("Error:") || line.starts_with("error ") {
                    last_error = line.trim_start_matches("Error: ").to_string();
                }
                sink(&line);
                continue;
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if Instant::now() >= deadline {
            stop = Some(Outcome::TimedOut);
        } else if Instant::now() >= next_poll {
            next_poll = Instant::now() + LAYER_POLL;
            let seen = new_layer_bytes(&engine.layers_dir(), &baseline);
            if seen > limits.layer_bytes {
                stop = Some(Outcome::LayerLimit(seen));
            }
        }
        if let Some(outcome) = stop.take() {
            let why = match &outcome {
                Outcome::TimedOut => {
                    format!("build exceeded {} time limit", human(limits.timeout()))
                }
                _ => "layer size limit exceeded".to_string(),
            };
            sink(&format!("{why}: stopping the build"));
            kill_tree(&mut child);
            for r in readers {
                let _ = r.join();
            }
            return Ok(outcome);
        }
    }
    for r in readers {
        let _ = r.join();
    }
    let status = child
        .wait()
        .map_err(|e| BuildError::Io("waiting for buildah".into(), e))?;
    if status.success() {
        Ok(Outcome::Success)
    } else {
        if last_error.is_empty() {
            last_error = format!("buildah exited with {status}");
        }
        Ok(Outcome::Failed {
            error: last_error,
            network,
        })
    }
}

/// SIGTERM to buildah's process group (buildah then stops its RUN container),
/// SIGKILL after a grace period; the cgroup cleanup catches anything left.
fn kill_tree(child: &mut Child) {
    let pgid = nix::unistd::Pid::from_raw(child.id() as i32);
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGTERM);
    let until = Instant::now() + TERM_GRACE;
    while Instant::now() < until {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = nix::sys::signal::killpg(pgid, nix::sys::signal::Signal::SIGKILL);
    let _ = child.kill();
    let _ = child.wait();
}

fn layer_dirs(dir: &Path) -> std::collections::BTreeSet<std::ffi::OsString> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name())
        .collect()
}

/// Disk usage of layer directories created since `baseline`.
fn new_layer_bytes(dir: &Path, baseline: &std::collections::BTreeSet<std::ffi::OsString>) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    for name in layer_dirs(dir).difference(baseline) {
        for entry in walkdir::WalkDir::new(dir.join(name)).into_iter().flatten() {
            if let Ok(meta) = entry.metadata() {
                total += meta.blocks() * 512;
            }
        }
    }
    total
}
