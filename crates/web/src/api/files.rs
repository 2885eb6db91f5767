//! A bucket's files through the API: a page of a folder, and presigned
//! links (one, or a batch as JSON or CSV).

use super::auth::ApiUser;
use super::error::{ApiError, ApiResult};
use super::openapi::{BucketPath, Refusals, StorageRefusals};
use super::rfc3339;
use crate::AppState;
use crate::csv::csv_line;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_api_types as api;
use bucketdesk_core::CoreError;
use bucketdesk_core::access::{self, BucketGrant};
use bucketdesk_core::files::{self, ListRequest};
use bucketdesk_core::presign::{self, Method, PresignRequest, Presigned, Selection};
use bucketdesk_domain::{BucketId, WorkspaceId};
use serde::Deserialize;
use uuid::Uuid;

/// The grant on the bucket named in the path; a malformed id is a bucket
/// that does not exist.
pub(super) async fn grant(
    state: &AppState,
    user: &ApiUser,
    (workspace, bucket): (String, String),
) -> ApiResult<BucketGrant> {
    let (Ok(workspace), Ok(bucket)) = (Uuid::parse_str(&workspace), Uuid::parse_str(&bucket))
    else {
        return Err(CoreError::NoAccess.into());
    };
    Ok(access::bucket(
        &state.db,
        &user.actor,
        WorkspaceId(workspace),
        BucketId(bucket),
    )
    .await?)
}

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The folder to list, ending in `/` ("" is the top of the bucket).
    prefix: String,
    /// Only names in the folder that start with this.
    starts_with: String,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
    /// At most this many entries (1 to 1000; 1000 by default).
    limit: Option<i32>,
}

/// `GET .../objects?prefix=&starts_with=&cursor=&limit=`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects", tag = "files",
    summary = "One page of a folder: its sub-folders and files (scope read)",
    params(BucketPath, ListQuery),
    responses((status = 200, body = api::ObjectPage), Refusals, StorageRefusals))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> ApiResult<Json<api::ObjectPage>> {
    let Query(query) = query?;
    let grant = grant(&state, &user, ids).await?;
    let page = files::list(
        &state.s3_clients,
        &grant,
        ListRequest {
            prefix: &query.prefix,
            starts_with: &query.starts_with,
            cursor: query.cursor.as_deref().filter(|c| !c.is_empty()),
            limit: query.limit.unwrap_or(files::MAX_PAGE),
        },
    )
    .await?;
    Ok(Json(api::ObjectPage {
        folders: page.folders,
        files: page
            .files
            .into_iter()
            .map(|entry| api::Object {
                key: entry.key,
                size: entry.size,
                last_modified: entry.last_modified.map(rfc3339),
            })
            .collect(),
        next_cursor: page.next_cursor,
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FileQuery {
    /// The file's key.
    key: String,
}

/// `GET .../objects/details?key=`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/objects/details", tag = "files",
    summary = "One file's size, type, time, ETag and metadata (scope read)",
    params(BucketPath, FileQuery),
    responses((status = 200, body = api::ObjectDetails), Refusals, StorageRefusals))]
pub async fn details(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    query: Result<Query<FileQuery>, QueryRejection>,
) -> ApiResult<Json<api::ObjectDetails>> {
    let Query(query) = query?;
    let grant = grant(&state, &user, ids).await?;
    let details = files::details(&state.s3_clients, &grant, &query.key).await?;
    Ok(Json(api::ObjectDetails {
        key: details.key,
        size: details.size,
        content_type: details.content_type,
        last_modified: details.last_modified.map(rfc3339),
        etag: details.etag,
        metadata: details.metadata.into_iter().collect(),
    }))
}

/// `GET .../download?key=`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/download", tag = "files",
    summary = "A URL that downloads one file for the next 15 minutes (scope read)",
    params(BucketPath, FileQuery),
    responses((status = 200, body = api::Presigned), Refusals, StorageRefusals))]
pub async fn download(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    query: Result<Query<FileQuery>, QueryRejection>,
) -> ApiResult<Json<api::Presigned>> {
    let Query(query) = query?;
    let grant = grant(&state, &user, ids).await?;
    let link = files::download_url(
        &state.s3_clients,
        &state.audit,
        &grant,
        &user.actor,
        &user.origin,
        &query.key,
    )
    .await?;
    Ok(Json(presigned(link)))
}

fn method(text: Option<&str>) -> ApiResult<Method> {
    match text.map(str::to_ascii_uppercase).as_deref() {
        None | Some("GET") => Ok(Method::Get),
        Some("PUT") => Ok(Method::Put),
        Some(_) => Err(CoreError::invalid("method", "invalid", "The method is GET or PUT.").into()),
    }
}

fn presigned(link: Presigned) -> api::Presigned {
    api::Presigned {
        key: link.key,
        url: link.url,
        method: link.method.as_str().to_owned(),
        expires_at: rfc3339(link.expires_at),
        expires_in: link.lifetime.as_secs(),
        capped: link.capped,
    }
}

/// `POST .../presign` `{"key", "method", "expires_in"}`
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign", tag = "files",
    summary = "A presigned GET (or, for Editors, PUT) URL for one key (scope share)",
    params(BucketPath), request_body = api::PresignRequest,
    responses((status = 200, body = api::Presigned), Refusals, StorageRefusals))]
pub async fn presign(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    body: Result<Json<api::PresignRequest>, JsonRejection>,
) -> ApiResult<Json<api::Presigned>> {
    let Json(body) = body?;
    let grant = grant(&state, &user, ids).await?;
    let lifetime = presign::lifetime(body.expires_in)?;
    let link = presign::presign(
        &state.s3_clients,
        &state.audit,
        &grant,
        &user.actor,
        &user.origin,
        PresignRequest {
            key: &body.key,
            method: method(body.method.as_deref())?,
            lifetime,
        },
    )
    .await?;
    Ok(Json(presigned(link)))
}

/// `POST .../presign/batch` `{"keys": [...]}` or `{"prefix": "..."}`: JSON,
/// or CSV (`key,url,expires_at`) for `Accept: text/csv`.
#[utoipa::path(post, path = "/api/v1/workspaces/{workspace}/buckets/{bucket}/presign/batch", tag = "files",
    summary = "Presigned GET URLs for a list of keys or every file under a prefix, as JSON or CSV (scope share)",
    params(BucketPath), request_body = api::BatchPresignRequest,
    responses(
        (status = 200, description = "The links; `key,url,expires_at` rows for `Accept: text/csv`",
            content((api::BatchPresigned = "application/json"), (String = "text/csv"))),
        Refusals, StorageRefusals))]
pub async fn presign_batch(
    State(state): State<AppState>,
    user: ApiUser,
    Path(ids): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Json<api::BatchPresignRequest>, JsonRejection>,
) -> ApiResult<Response> {
    let Json(body) = body?;
    let selection = match (body.keys, body.prefix) {
        (Some(keys), None) => Selection::Keys(keys),
        (None, Some(prefix)) => Selection::Prefix(prefix),
        _ => {
            return Err(ApiError::Core(CoreError::invalid(
                "keys",
                "one_of",
                "Send either \"keys\" (a list) or \"prefix\" (a folder), not both.",
            )));
        }
    };
    let grant = grant(&state, &user, ids).await?;
    let lifetime = presign::lifetime(body.expires_in)?;
    let links = presign::presign_batch(
        &state.s3_clients,
        &state.db,
        &grant,
        &user.actor,
        &user.origin,
        selection,
        lifetime,
    )
    .await?;
    let links: Vec<_> = links.into_iter().map(presigned).collect();
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let mut csv = String::from("key,url,expires_at\n");
        for link in &links {
            csv.push_str(&csv_line(&[&link.key, &link.url, &link.expires_at]));
        }
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response());
    }
    Ok(Json(api::BatchPresigned { links }).into_response())
}
