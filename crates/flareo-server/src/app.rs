//! Running the server: `serve` (API, web pages, mail sender and, unless
//! disabled, an embedded worker) and `worker` (a worker alone against a shared
//! database and blob store). Both stop cleanly on SIGINT/SIGTERM; a worker killed
//! harder is recovered through its lease.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use flareo_build::Engine;
use flareo_oci::BlobStore;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use tokio::sync::watch;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use crate::api::AppState;
use crate::auth::{Role, random_secret};
use crate::config::Config;
use crate::db::{Db, DbError};
use crate::session_store::DbSessionStore;
use crate::worker::Worker;

/// Why the server or a worker could not run.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The database could not be opened.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The blob store could not be opened.
    #[error(transparent)]
    Store(#[from] flareo_oci::StoreError),
    /// The build engine could not be opened.
    #[error(transparent)]
    Engine(#[from] flareo_build::EngineError),
    /// Listening failed.
    #[error("listening on {0}: {1}")]
    Listen(std::net::SocketAddr, std::io::Error),
    /// Creating the data directory failed.
    #[error("creating data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    /// The HTTP server failed.
    #[error("HTTP server: {0}")]
    Http(std::io::Error),
    /// The signing material or mode could not be set up.
    #[error(transparent)]
    Signing(#[from] crate::signing::SigningError),
}

/// How `serve` runs.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// Run an embedded worker (false: control plane only).
    pub worker: bool,
}

/// The process-wide Prometheus recorder (installed once); its handle renders `/metrics`.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let recorder = PrometheusBuilder::new()
                .set_buckets(&[
                    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                ])
                .expect("static buckets are valid")
                .build_recorder();
            let handle = recorder.handle();
            if metrics::set_global_recorder(recorder).is_err() {
                tracing::warn!("a metrics recorder was already installed; HTTP latencies go there");
            }
            handle
        })
        .clone()
}

/// Records each request's latency by method, route and status.
async fn track_latency(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::histogram!("flareo_http_request_duration_seconds",
        "method" => method, "route" => route, "status" => status)
    .record(started.elapsed().as_secs_f64());
    response
}

/// Opens the database and blob store the configuration names.
pub async fn open_state(config: &Config) -> Result<(Db, BlobStore), ServeError> {
    let data = config.data_dir();
    std::fs::create_dir_all(&data)
        .map_err(|e| ServeError::DataDir(data.display().to_string(), e))?;
    let db = Db::open(&config.database_url()).await?;
    let store = BlobStore::from_config(&config.store())?;
    Ok((db, store))
}

/// Creates the first administrator when no user exists. Returns the generated
/// password when none was configured (the caller prints it once).
pub async fn bootstrap_admin(
    db: &Db,
    config: &Config,
) -> Result<Option<(String, String)>, DbError> {
    if db.user_count().await? > 0 {
        return Ok(None);
    }
    let email = config
        .server
        .admin
        .email
        .clone()
        .unwrap_or_else(|| "admin@localhost".into());
    let (password, generated) = match &config.server.admin.password {
        Some(p) => (p.clone(), false),
        None => (random_secret("")[..24].to_string(), true),
    };
    db.create_user_with_password(&email, "Administrator", Role::Admin, &password)
        .await?;
    Ok(generated.then_some((email, password)))
}

/// The whole HTTP application over `state`.
pub fn router(state: AppState) -> axum::Router {
    let secure = state.config.public_url().starts_with("https://");
    let sessions = SessionManagerLayer::new(DbSessionStore::new(state.db.clone()))
        .with_name("flareo_session")
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_expiry(Expiry::OnInactivity(time::Duration::hours(12)));
    let body_limit = state.config.operator.archive.max_bytes.min(1 << 30) as usize;
    crate::api::router()
        .merge(crate::transparency::router())
        .merge(crate::fulcio::router())
        .merge(crate::web::router())
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(track_latency))
        .layer(sessions)
        .merge(crate::registry::router().layer(axum::middleware::from_fn(track_latency)))
        .with_state(state)
}

/// A name for this worker: host, pid and a random suffix.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "worker".into());
    format!("{host}-{}-{}", std::process::id(), &random_secret("")[..6])
}

fn make_worker(
    config: &Config,
    db: Db,
    store: BlobStore,
    signing: crate::signing::SigningSetup,
) -> Result<Worker, ServeError> {
    let engine = Arc::new(Engine::open(&config.data_dir())?);
    Ok(Worker::new(
        db,
        store,
        engine,
        config.operator.clone(),
        config.server.worker.clone(),
        worker_id(),
        signing,
    ))
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = ctrl_c => {}
        _ = term.recv() => {}
    }
}

/// Runs the server until SIGINT/SIGTERM. `on_ready` gets the bound address and
/// the generated admin credentials, if any (printed once by the CLI).
pub async fn serve(
    config: Config,
    options: ServeOptions,
    on_ready: impl FnOnce(std::net::SocketAddr, Option<(String, String)>),
) -> Result<(), ServeError> {
    let (db, store) = open_state(&config).await?;
    let admin = bootstrap_admin(&db, &config).await?;
    let signing = crate::signing::setup(&config, &db)?;
    let config = Arc::new(config);
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut tasks = Vec::new();
    if options.worker {
        let worker = make_worker(&config, db.clone(), store.clone(), signing.clone())?;
        tasks.push(tokio::spawn(worker.run(stop_rx.clone())));
    }
    if let Some(smtp) = &config.server.smtp {
        let mailer = crate::mail::Mailer::new(db.clone(), smtp)
            .map_err(|e| ServeError::Http(std::io::Error::other(e.to_string())))?;
        tasks.push(tokio::spawn(mailer.run(stop_rx.clone())));
    }
    let state = AppState {
        db: db.clone(),
        store,
        config: config.clone(),
        metrics: metrics_handle(),
        log: signing.log.clone(),
        trust_root: Some(Arc::new(signing.trust_root.clone())),
        fulcio: signing.fulcio.clone(),
    };
    let listen = config.server.listen;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| ServeError::Listen(listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServeError::Listen(listen, e))?;
    tracing::info!(%addr, worker = options.worker, "serving");
    on_ready(addr, admin);
    axum::serve(without_nagle(listener), router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServeError::Http)?;
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(30), t).await;
    }
    Ok(())
}

/// The listener `flareo serve` accepts on: every connection has TCP_NODELAY, so
/// small responses (manifests, 4 KiB blob ranges) do not wait for Nagle's algorithm
/// and delayed ACKs (`cargo bench --bench registry` measured 28 -> 1,815 ranged
/// GETs/s).
pub fn without_nagle(
    listener: tokio::net::TcpListener,
) -> impl axum::serve::Listener<Addr = std::net::SocketAddr> {
    use axum::serve::ListenerExt;
    listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "setting TCP_NODELAY");
        }
    })
}

/// Runs a worker alone until SIGINT/SIGTERM.
pub async fn worker(config: Config) -> Result<(), ServeError> {
    let (db, store) = open_state(&config).await?;
    let signing = crate::signing::setup(&config, &db)?;
    let worker = make_worker(&config, db, store, signing)?;
    let (stop_tx, stop_rx) = watch::channel(false);
    let task = tokio::spawn(worker.run(stop_rx));
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    let _ = task.await;
    Ok(())
}
