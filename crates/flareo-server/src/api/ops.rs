//! Operations: `/healthz` (a real round trip to the database and the blob
//! store), `/metrics` (Prometheus text: HTTP latencies recorded by middleware, plus
//! queue depth, claim latency and build durations read from the shared database so
//! they cover every worker), and the OpenAPI document.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::OpenApi;

use super::AppState;

/// Health of each dependency.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `unavailable`.
    pub status: String,
    /// `ok` or the failure.
    pub database: String,
    /// `ok` or the failure.
    pub blob_store: String,
}

/// Checks the database and the blob store for real.
#[utoipa::path(get, path = "/healthz", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Health)))]
pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let database = match state.db.ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => {
            tracing::error!(error = %e, "healthz: database");
            "unavailable".to_string()
        }
    };
    let blob_store = match state.store.ping().await {
        Ok(()) => "ok".to_string(),
        Err(e) => {
            tracing::error!(error = %e, "healthz: blob store");
            "unavailable".to_string()
        }
    };
    let ok = database == "ok" && blob_store == "ok";
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        Json(Health {
            status: if ok { "ok" } else { "unavailable" }.into(),
            database,
            blob_store,
        }),
    )
}

/// Quantiles of a sample, in seconds, as Prometheus summary lines.
fn summary(out: &mut String, name: &str, help: &str, mut ms: Vec<i64>) {
    ms.sort_unstable();
    out.push_str(&format!("# HELP {name} {help}\n# TYPE {name} summary\n"));
    for q in [0.5, 0.9, 0.99, 1.0] {
        if let Some(v) = quantile(&ms, q) {
            out.push_str(&format!(
                "{name}{{quantile=\"{q}\"}} {}\n",
                v as f64 / 1000.0
            ));
        }
    }
    out.push_str(&format!(
        "{name}_sum {}\n{name}_count {}\n",
        ms.iter().sum::<i64>() as f64 / 1000.0,
        ms.len()
    ));
}

/// The nearest-rank quantile of sorted values.
pub fn quantile(sorted: &[i64], q: f64) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

/// Prometheus metrics.
#[utoipa::path(get, path = "/metrics", tag = "ops",
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut out = state.metrics.render();
    let db = &state.db;
    let gathered = async {
        let depth = db.queue_depth().await?;
        let states = db.jobs_by_state().await?;
        let claims = db.claim_latencies(1000).await?;
        let builds = db.build_durations(1000).await?;
        let outbox = db.outbox_pending().await?;
        Ok::<_, crate::DbError>((depth, states, claims, builds, outbox))
    };
    match gathered.await {
        Ok((depth, states, claims, builds, outbox)) => {
            out.push_str(&format!(
                "# HELP flareo_queue_depth Build jobs waiting for a worker.\n# TYPE flareo_queue_depth gauge\nflareo_queue_depth {depth}\n"
            ));
            out.push_str("# HELP flareo_jobs Build jobs by state.\n# TYPE flareo_jobs gauge\n");
            for (s, n) in states {
                out.push_str(&format!("flareo_jobs{{state=\"{s}\"}} {n}\n"));
            }
            summary(
                &mut out,
                "flareo_claim_latency_seconds",
                "Time from queueing a build to a worker claiming it (last 1000 jobs).",
                claims,
            );
            summary(
                &mut out,
                "flareo_build_duration_seconds",
                "Wall-clock build time (last 1000 builds).",
                builds,
            );
            out.push_str(&format!(
                "# HELP flareo_outbox_pending Mails not yet delivered.\n# TYPE flareo_outbox_pending gauge\nflareo_outbox_pending {outbox}\n"
            ));
        }
        Err(e) => tracing::error!(error = %e, "metrics: reading the database"),
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/api/v1/openapi.json", tag = "ops",
    responses((status = 200, description = "OpenAPI document", content_type = "application/json")))]
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(crate::openapi::ApiDoc::openapi())
}

/// The instance's trust root as a Sigstore `ClientTrustConfig` (give it to
/// `flareo verify --trust-root` or `sigstore --trust-config`).
pub async fn trust_root(State(state): State<AppState>) -> axum::response::Response {
    match &state.trust_root {
        Some(root) => Json(root.as_ref().clone()).into_response(),
        None => crate::api::ApiError {
            status: StatusCode::NOT_FOUND,
            code: "no_trust_root",
            message: "this instance has no embedded trust root".into(),
            detail: None,
        }
        .into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn nearest_rank() {
        let v = [10, 20, 30, 40];
        assert_eq!(quantile(&v, 0.5), Some(20));
        assert_eq!(quantile(&v, 0.99), Some(40));
        assert_eq!(quantile(&v, 0.0), Some(10));
        assert_eq!(quantile(&[], 0.5), None);
    }
}
