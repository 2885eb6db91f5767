//! The details panel of the bucket page: what the file is (a thumbnail or
//! its icon, size, type, modified, ETag, storage class, S3 URI) and the
//! revocable links that share it, as a fragment the page shows beside the
//! list when one file is selected. One HeadObject and one query.

use super::object::KeyQuery;
use super::thumbnail::thumbnail_href;
use super::{bucket_path, q};
use crate::extract::BucketAccess;
use crate::pages::utc_minutes;
use crate::routes::links::manage::usage;
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use bucketdesk_core::files;
use bucketdesk_domain::object::{FileKind, file_name, human_size};

/// The most links the panel lists (the Links page has them all).
const LINKS_SHOWN: i64 = 10;

pub struct PanelLink {
    pub href: String,
    pub what: String,
    pub state: &'static str,
    pub usage: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/details_panel.html")]
pub struct DetailsPanel {
    name: String,
    kind: &'static str,
    thumbnail: Option<String>,
    object_href: String,
    download: String,
    size: String,
    content_type: String,
    modified: String,
    etag: String,
    storage_class: String,
    s3_uri: String,
    links: Vec<PanelLink>,
    new_link: String,
    links_page: String,
}

pub async fn details_panel(
    State(state): State<AppState>,
    access: BucketAccess,
    Query(query): Query<KeyQuery>,
) -> Result<DetailsPanel> {
    let details = files::details(&state.s3_clients, &access.grant, &query.key).await?;
    let bucket = access.bucket();
    let base = bucket_path(bucket);
    let name = file_name(&details.key).to_owned();
    let links = bucketdesk_core::links::sharing(
        &state.db,
        &access.grant,
        &access.me.actor(),
        &details.key,
        LINKS_SHOWN,
    )
    .await?;
    let key = q(&details.key);
    Ok(DetailsPanel {
        kind: FileKind::of(&name).css_class(),
        thumbnail: thumbnail_href(&base, &details.key, details.size, details.last_modified),
        object_href: format!("{base}/object?key={key}"),
        download: format!("{base}/download?key={key}"),
        size: human_size(details.size),
        content_type: details.content_type.unwrap_or_else(|| "unknown".into()),
        modified: details.last_modified.map(utc_minutes).unwrap_or_default(),
        etag: details.etag.unwrap_or_default(),
        storage_class: details.storage_class,
        s3_uri: format!("s3://{}/{}", bucket.bucket_name, details.key),
        links: links
            .iter()
            .map(|link| PanelLink {
                href: format!("/w/{}/links/{}", bucket.workspace_id, link.id),
                what: if link.note.is_empty() {
                    crate::links::describe(link)
                } else {
                    link.note.clone()
                },
                state: link.state().label(),
                usage: usage(link),
            })
            .collect(),
        new_link: format!("{base}/links/new?key={key}"),
        links_page: format!("/w/{}/links", bucket.workspace_id),
        name,
    })
}
