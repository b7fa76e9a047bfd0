//! The OpenAPI document, generated from the handlers' `#[utoipa::path]`
//! annotations and the response types' schemas.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

/// Flareo's API.
#[derive(OpenApi)]
#[openapi(
    info(title = "Flareo API", description = "Catalog, submissions, review and build queue of a Flareo instance."),
    paths(
        api::catalog::list_modules, api::catalog::get_module,
        api::catalog::get_sbom, api::catalog::get_bundles, api::catalog::get_vulnerabilities,
        api::catalog::get_vex, api::catalog::add_vex,
        api::submissions::create_submission, api::submissions::list_submissions,
        api::submissions::get_submission, api::submissions::get_log,
        api::review::queue, api::review::detail, api::review::approve, api::review::reject,
        api::users::list_users, api::users::create_user, api::users::me,
        api::users::create_token, api::users::list_tokens, api::users::revoke_token,
        api::ops::healthz, api::ops::metrics, api::ops::openapi,
    ),
    components(schemas(api::ErrorBody, api::ErrorInfo)),
    modifiers(&BearerAuth),
    tags(
        (name = "catalog", description = "Public catalog reads"),
        (name = "submissions", description = "Submitting modules and following builds"),
        (name = "review", description = "The review queue"),
        (name = "users", description = "Users and API tokens"),
        (name = "ops", description = "Health, metrics and this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}
