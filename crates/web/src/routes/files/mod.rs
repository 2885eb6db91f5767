//! The file browser of a bucket: browse folders page by page, an object's
//! details and preview, downloads through 15-minute presigned links, and for
//! Editors uploads, folders, renames and deletes. Every handler takes
//! `BucketAccess`, so none runs without the caller's role on the bucket.

mod browse;
mod changes;
mod details;
mod highlight;
mod move_progress;
mod object;
mod preview;
mod rendered;
mod resumable;
pub(crate) use object::delivery_response;
mod share;
mod thumbnail;
mod upload;
mod zip;

use crate::AppState;
pub(crate) use crate::error::storage_error;
use axum::Router;
use axum::routing::{get, post};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/b/{bucket}", get(browse::browse))
        .route("/w/{workspace}/b/{bucket}/object", get(object::show_object))
        .route(
            "/w/{workspace}/b/{bucket}/details",
            get(details::details_panel),
        )
        .route(
            "/w/{workspace}/b/{bucket}/thumbnail",
            get(thumbnail::thumbnail),
        )
        .route(
            "/w/{workspace}/b/{bucket}/folders",
            post(changes::create_folder),
        )
        .route(
            "/w/{workspace}/b/{bucket}/share",
            post(share::create_share_link),
        )
        .route(
            "/w/{workspace}/b/{bucket}/share/batch",
            post(share::create_share_links),
        )
}

/// Routes that may take long: uploads and streamed downloads, and renames or
/// deletes of whole folders (see `routes::transfers`).
pub fn transfers() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/b/{bucket}/upload", post(upload::upload))
        // a video plays for as long as it plays
        .route("/w/{workspace}/b/{bucket}/preview", get(preview::preview))
        .route(
            "/w/{workspace}/b/{bucket}/uploads",
            get(resumable::unfinished).post(resumable::start),
        )
        .route(
            "/w/{workspace}/b/{bucket}/uploads/{upload}/chunks/{number}",
            post(resumable::chunk),
        )
        .route(
            "/w/{workspace}/b/{bucket}/uploads/{upload}/chunks/{number}/url",
            post(resumable::part_url),
        )
        .route(
            "/w/{workspace}/b/{bucket}/uploads/{upload}/complete",
            post(resumable::complete),
        )
        .route(
            "/w/{workspace}/b/{bucket}/uploads/{upload}/cancel",
            post(resumable::cancel),
        )
        .route(
            "/w/{workspace}/b/{bucket}/download",
            get(object::download).head(super::head_without_effects),
        )
        .route(
            "/w/{workspace}/b/{bucket}/zip",
            get(zip::zip_link)
                .head(super::head_without_effects)
                .post(zip::zip_selection),
        )
        .route(
            "/w/{workspace}/b/{bucket}/rename",
            get(changes::show_rename).post(changes::rename),
        )
        .route(
            "/w/{workspace}/b/{bucket}/delete",
            get(changes::confirm_delete).post(changes::delete),
        )
        .route(
            "/w/{workspace}/b/{bucket}/delete/confirm",
            post(changes::confirm_delete_selected),
        )
        .route(
            "/w/{workspace}/b/{bucket}/move",
            post(changes::move_selected),
        )
}

/// `/w/{workspace}/b/{bucket}` for the access's bucket.
pub(crate) fn bucket_path(bucket: &bucketdesk_db::buckets::Bucket) -> String {
    format!("/w/{}/b/{}", bucket.workspace_id, bucket.id)
}

/// A query-string value, percent-encoded.
pub(crate) fn q(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}
