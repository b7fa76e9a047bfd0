//! Catalog reads (public): module list with search, category filter and keyset
//! pagination, and one
//! module with its recipe metadata, pinned digest, pull URL and build history.

use axum::Json;
use axum::extract::{Path, Query, State};
use serde::{Deserialize, Serialize};

use super::{ApiError, AppState};
use crate::catalog::{BuildRecord, ListPage, ModuleSummary};

/// Filters of the module list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct ModuleQuery {
    /// Case-insensitive substring of slug, name or author.
    pub q: Option<String>,
    /// Exact category.
    pub category: Option<String>,
    /// The `next` of the previous page.
    pub after: Option<String>,
    /// Page size, 1 to 500 (default 100).
    pub limit: Option<u32>,
}

/// The module list.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModuleList {
    /// Modules, by slug.
    pub modules: Vec<ModuleSummary>,
    /// Pass as `after` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
}

/// Runtime metadata from the recipe.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RuntimeInfo {
    /// Ports the service listens on.
    pub ports: Vec<u16>,
    /// Volumes holding its state.
    pub volumes: Vec<String>,
    /// Default environment.
    pub default_env: std::collections::BTreeMap<String, String>,
    /// Healthcheck command.
    pub healthcheck: Option<String>,
}

/// One module.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ModuleDetail {
    /// List fields (slug, name, author, category, license, tag, digest, pull URL).
    #[serde(flatten)]
    pub summary: ModuleSummary,
    /// Upstream source repository.
    pub source: String,
    /// Tags that trigger a rebuild.
    pub ref_pattern: String,
    /// Runtime metadata.
    pub runtime: RuntimeInfo,
    /// The submission whose image is current.
    pub submission_id: i64,
    /// Every build, newest first.
    pub builds: Vec<BuildRecord>,
    /// The latest re-evaluation of the current image (VEX or advisories changed
    /// since it was built); none while the build's own scan stands.
    pub evaluation: Option<crate::evaluations::EvaluationRecord>,
    /// The current image's signature and attestations (latest of each kind), each
    /// a Sigstore bundle at `/api/v1/modules/<slug>/bundles`.
    pub signatures: Vec<crate::signing::StoredSignature>,
}

/// Lists published modules.
#[utoipa::path(get, path = "/api/v1/modules", params(ModuleQuery), tag = "catalog",
    responses((status = 200, body = ModuleList)))]
pub async fn list_modules(
    State(state): State<AppState>,
    Query(q): Query<ModuleQuery>,
) -> Result<Json<ModuleList>, ApiError> {
    if let Some(c) = q.category.as_deref()
        && !flareo_recipe::Category::ALL.contains(&c)
    {
        return Err(ApiError::bad_request(format!(
            "unknown category {c:?}; one of: {}",
            flareo_recipe::Category::ALL.join(", ")
        )));
    }
    let page = ListPage::new(q.after, q.limit).map_err(ApiError::bad_request)?;
    let (modules, next) = state
        .db
        .modules(
            q.q.as_deref().filter(|s| !s.is_empty()),
            q.category.as_deref(),
            &page,
        )
        .await?;
    Ok(Json(ModuleList { modules, next }))
}

/// One published module.
#[utoipa::path(get, path = "/api/v1/modules/{slug}", tag = "catalog",
    params(("slug" = String, Path, description = "module slug")),
    responses((status = 200, body = ModuleDetail), (status = 404, body = super::ErrorBody)))]
pub async fn get_module(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<ModuleDetail>, ApiError> {
    Ok(Json(module_detail(&state, &slug).await?))
}

/// A module's detail (shared with the web page).
pub async fn module_detail(state: &AppState, slug: &str) -> Result<ModuleDetail, ApiError> {
    let row = state.db.module(slug).await?;
    let recipe = flareo_recipe::parse(&row.recipe).map_err(|e| {
        ApiError::internal(&format!(
            "stored recipe of {slug} no longer parses: {:?}",
            e.0.first()
        ))
    })?;
    let builds = state.db.build_history(slug).await?;
    let evaluation = state
        .db
        .latest_evaluation(slug, &row.summary.digest)
        .await?;
    let signatures = state.db.signatures(slug, &row.summary.digest).await?;
    Ok(ModuleDetail {
        signatures,
        evaluation,
        summary: row.summary,
        source: recipe.upstream.source.clone(),
        ref_pattern: recipe.upstream.ref_pattern.as_str().to_string(),
        runtime: RuntimeInfo {
            ports: recipe.runtime.ports.clone(),
            volumes: recipe.runtime.volumes.clone(),
            default_env: recipe.runtime.default_env.clone(),
            healthcheck: recipe.runtime.healthcheck.clone(),
        },
        submission_id: row.submission_id,
        builds,
    })
}

/// The blob a module's latest scan stored (`scan` report or `sbom`), parsed.
async fn scan_blob(
    state: &AppState,
    slug: &str,
    which: usize,
) -> Result<serde_json::Value, ApiError> {
    let row = state.db.module(slug).await?;
    let Some(results) = state.db.scan_results(row.submission_id).await? else {
        return Err(ApiError::not_found(format!(
            "module {slug} has no scan results"
        )));
    };
    let digest = if which == 0 {
        // The latest re-evaluation's report, else the build's.
        match state
            .db
            .latest_evaluation(slug, &row.summary.digest)
            .await?
        {
            Some(e) => e.report_digest,
            None => results.0,
        }
    } else {
        results.1
    };
    let digest: flareo_oci::Digest = digest
        .parse()
        .map_err(|e| ApiError::internal(&format!("stored digest {digest:?}: {e:?}")))?;
    let bytes = state.store.get(&digest).await?;
    serde_json::from_slice(&bytes).map_err(|e| ApiError::internal(&e))
}

/// The module's CycloneDX 1.6 SBOM (packages per layer).
#[utoipa::path(get, path = "/api/v1/modules/{slug}/sbom", tag = "catalog",
    params(("slug" = String, Path, description = "module slug")),
    responses((status = 200, description = "CycloneDX 1.6 JSON", content_type = "application/vnd.cyclonedx+json"),
        (status = 404, body = super::ErrorBody)))]
pub async fn get_sbom(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let sbom = scan_blob(&state, &slug, 1).await?;
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "application/vnd.cyclonedx+json; version=1.6",
        )],
        Json(sbom),
    )
        .into_response())
}

/// The module's scan: OS, packages with their layers, findings (with advisories,
/// severity and fixed version, suppressed ones marked with their VEX statement),
/// secrets, and the verdict; after a re-evaluation, its report.
#[utoipa::path(get, path = "/api/v1/modules/{slug}/vulnerabilities", tag = "catalog",
    params(("slug" = String, Path, description = "module slug")),
    responses((status = 200, description = "scan report", content_type = "application/json"),
        (status = 404, body = super::ErrorBody)))]
pub async fn get_vulnerabilities(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    Ok(Json(scan_blob(&state, &slug, 0).await?))
}

/// A reviewer's VEX statement about a module.
#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewVex {
    /// The vulnerability (CVE or advisory id).
    pub vulnerability: String,
    /// `not_affected`, `affected`, `fixed` or `under_investigation`.
    #[schema(value_type = String)]
    pub status: flareo_scan::vex::VexStatus,
    /// Justification (`not_affected`).
    pub justification: Option<String>,
    /// Impact statement (`not_affected`).
    pub impact_statement: Option<String>,
    /// Action statement (`affected`).
    pub action_statement: Option<String>,
    /// The product purl; default `pkg:oci/<slug>` (every build of the module).
    pub product: Option<String>,
    /// A subcomponent's purl (the package).
    pub subcomponent: Option<String>,
}

/// The module's OpenVEX 0.2.0 document.
#[utoipa::path(get, path = "/api/v1/modules/{slug}/vex", tag = "catalog",
    params(("slug" = String, Path, description = "module slug")),
    responses((status = 200, description = "OpenVEX 0.2.0", content_type = "application/json"),
        (status = 404, body = super::ErrorBody)))]
pub async fn get_vex(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.db.module(&slug).await?;
    let statements = state.db.vex_statements(&slug).await?;
    let id = format!("{}/api/v1/modules/{slug}/vex", state.config.public_url());
    Ok(Json(flareo_scan::vex::document(
        &id,
        "Flareo reviewers",
        &statements,
    )))
}

/// Adds a VEX statement (reviewers); statements are appended, never overwritten.
#[utoipa::path(post, path = "/api/v1/modules/{slug}/vex", tag = "review",
    params(("slug" = String, Path, description = "module slug")), request_body = NewVex,
    responses((status = 201, description = "the module's OpenVEX document"), (status = 401, body = super::ErrorBody),
        (status = 403, body = super::ErrorBody), (status = 422, body = super::ErrorBody)))]
pub async fn add_vex(
    State(state): State<AppState>,
    caller: super::Caller,
    Path(slug): Path<String>,
    Json(body): Json<NewVex>,
) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    let who = caller.require(crate::auth::Scope::Review)?.clone();
    state.db.module(&slug).await?;
    let statement = flareo_scan::vex::VexStatement {
        vulnerability: body.vulnerability,
        product: body.product.unwrap_or_else(|| format!("pkg:oci/{slug}")),
        subcomponent: body.subcomponent,
        status: body.status,
        justification: body.justification,
        impact_statement: body.impact_statement,
        action_statement: body.action_statement,
        author: who.email.clone(),
        timestamp: crate::signing::rfc3339(std::time::SystemTime::now()),
    };
    statement.check().map_err(|e| {
        ApiError::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_vex",
            e.to_string(),
        )
    })?;
    state.db.add_vex(&slug, who.user_id, &statement).await?;
    tracing::info!(%slug, vulnerability = %statement.vulnerability, reviewer = who.user_id, "VEX statement added");
    let (_, Json(doc)) = ((), get_vex(State(state), Path(slug)).await?);
    Ok((axum::http::StatusCode::CREATED, Json(doc)))
}

/// The current image's Sigstore bundles (v0.3): the image signature (its payload is
/// the cosign simple-signing document at `payload`) and each attestation.
#[utoipa::path(get, path = "/api/v1/modules/{slug}/bundles", tag = "catalog",
    params(("slug" = String, Path, description = "module slug")),
    responses((status = 200, description = "bundles with their predicate types"),
        (status = 404, body = super::ErrorBody)))]
pub async fn get_bundles(
    State(state): State<AppState>,
    Path(slug): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let row = state.db.module(&slug).await?;
    let mut out = Vec::new();
    for s in state.db.signatures(&slug, &row.summary.digest).await? {
        let digest: flareo_oci::Digest = s.bundle_digest.parse().map_err(|_| {
            ApiError::internal(&format!("stored bundle digest {:?}", s.bundle_digest))
        })?;
        let bytes = state
            .store
            .get(&digest)
            .await
            .map_err(|e| ApiError::internal(&e))?;
        let bundle: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::internal(&format!("stored bundle {digest}: {e}")))?;
        out.push(serde_json::json!({
            "predicateType": s.predicate_type,
            "logIndex": s.log_index,
            "bundle": bundle,
        }));
    }
    let reference = format!("{}/{slug}", state.config.registry_host());
    let payload = flareo_attest::cosign::simple_signing_payload(&reference, &row.summary.digest);
    Ok(Json(serde_json::json!({
        "image": row.summary.digest,
        "payload": String::from_utf8_lossy(&payload),
        "bundles": out,
    })))
}
