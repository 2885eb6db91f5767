//! The API's OpenAPI 3.1 document, generated from the handlers' own
//! `#[utoipa::path]` descriptions (the router and the document are built
//! together, so no route can be missing from it), and the parts every
//! operation shares: the path parameters, the bearer token, the refusals.

use bucketdesk_api_types as api;
use std::collections::BTreeMap;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoParams, Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "bucketdesk API",
        version = "1",
        description = "Everything the pages can do, for scripts: authenticate with a personal access \
token (`Authorization: Bearer bdk_...`, made on your account page), whose scopes (read, write, \
share, admin) limit what it may do on top of its owner's roles. Errors are \
`{\"error\": {\"code\", \"message\", \"fields\"}}` with a stable code. Times are RFC 3339 in UTC; \
sizes are bytes."
    ),
    modifiers(&BearerToken),
    security(("token" = [])),
    components(schemas(api::ErrorBody, api::Error, api::FieldError)),
    tags(
        (name = "account", description = "Who the token acts for, and what they can reach"),
        (name = "buckets", description = "Connecting buckets, their settings, disconnecting"),
        (name = "files", description = "Listing, presigned links, folders, moves and deletes"),
        (name = "links", description = "Revocable download and upload links"),
        (name = "admin", description = "Instance administration (instance admins)"),
        (name = "members", description = "Members, their roles per bucket, and invitations"),
    )
)]
pub struct ApiDoc;

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// A bucket of a workspace.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)] // describes the path; handlers read it as a tuple
pub struct BucketPath {
    /// The workspace's id (from `GET /api/v1/workspaces`).
    workspace: String,
    /// The bucket's id.
    bucket: String,
}

/// A workspace.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct WorkspacePath {
    /// The workspace's id.
    workspace: String,
}

/// A link of a workspace.
#[derive(IntoParams)]
#[into_params(parameter_in = Path)]
#[allow(dead_code)]
pub struct LinkPath {
    /// The workspace's id.
    workspace: String,
    /// The link's id.
    link: String,
}

fn error_response(description: &str) -> RefOr<Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("ErrorBody")))
                .build(),
        )
        .build()
        .into()
}

fn responses(list: &[(u16, &str)]) -> BTreeMap<String, RefOr<Response>> {
    list.iter()
        .map(|(status, description)| (status.to_string(), error_response(description)))
        .collect()
}

/// What any authenticated call may be answered with instead.
pub struct Refusals;

impl utoipa::IntoResponses for Refusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            (400, "The body or query could not be read (`bad_request`)"),
            (
                401,
                "No valid token (`unauthenticated`, with `WWW-Authenticate`)",
            ),
            (
                403,
                "The role or the token's scopes do not allow it (`role_too_low`, `scope_missing`)",
            ),
            (
                404,
                "It does not exist, or you have no access to it (`not_found`)",
            ),
            (422, "The input is wrong; `fields` says where (`invalid`)"),
            (
                503,
                "The database cannot be reached (`unavailable`, with `Retry-After`)",
            ),
        ])
    }
}

/// What a call that reaches the bucket may also be answered with.
pub struct StorageRefusals;

impl utoipa::IntoResponses for StorageRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[
            (409, "It clashes with what is there (a name that is taken)"),
            (502, "The storage service refused or failed (`storage_*`)"),
            (504, "The storage service did not answer in time"),
        ])
    }
}

/// What a call about a link may also be answered with.
pub struct LinkRefusals;

impl utoipa::IntoResponses for LinkRefusals {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        responses(&[(409, "A revoked link stays revoked (`revoked`)")])
    }
}
