//! "Share link": a presigned GET anyone can use until it expires (S15):
//! 15 minutes by default, 7 days at most, attachment disposition. Any role
//! that can download may make one; each is an audit event. The answer is
//! JSON for the browser script (right-click, copy), a page otherwise.

use super::object::LINK_LIFETIME;
use super::{bucket_path, q, storage_error};
use crate::csv::csv_line;
use crate::extract::{BucketAccess, ClientInfo, Form};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_db::audit;
use bucketdesk_domain::object::{
    Disposition, check_key, content_disposition, file_name, has_dot_segment, parent,
};
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_storage::objects;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

/// The longest a presigned link can live (S3's own limit).
pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShareForm {
    key: String,
    /// Seconds; empty means 15 minutes.
    expires: String,
}

/// The lifetime asked for, if it is a whole number of seconds from 1 to 7 days.
fn lifetime(expires: &str) -> Result<Duration> {
    if expires.trim().is_empty() {
        return Ok(LINK_LIFETIME);
    }
    match expires.trim().parse::<i64>() {
        Ok(secs) if secs > 0 && secs as u64 <= MAX_LIFETIME.as_secs() => Ok(Duration::from_secs(secs as u64)),
        _ => Err(AppError::BadRequest(
            "A share link lives from 1 second to 7 days (604800 seconds); choose a time in that range.".into(),
        )),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/share.html")]
struct SharePage {
    name: String,
    url: String,
    expires_at: String,
    back: String,
    signed_in: bool,
}

pub async fn create_share_link(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<ShareForm>,
) -> Result<Response> {
    check_key(&form.key).map_err(AppError::BadRequest)?;
    if has_dot_segment(&form.key) {
        return Err(AppError::BadRequest(
            "Browsers rewrite links to names with . or .. folders, so this file cannot be shared by link. Download it instead.".into(),
        ));
    }
    let lifetime = lifetime(&form.expires)?;
    let bucket = &access.bucket;
    let s3 = state.s3_client(bucket).await?;
    let disposition = content_disposition(Disposition::Attachment, file_name(&form.key));
    let url = objects::presign_get(
        &s3,
        &bucket.bucket_name,
        &form.key,
        lifetime,
        &disposition,
        None,
    )
    .await
    .map_err(storage_error)?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        details: json!({ "key": form.key, "expires_in": lifetime.as_secs() }),
        ..client.event(&access.me.user, "share_link_created")
    };
    state.audit.record(event).await?;
    let expires_at = utc_minutes(time::OffsetDateTime::now_utc() + lifetime);
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if wants_json {
        return Ok(axum::Json(
            json!({ "url": url, "expires_at": expires_at, "expires_in": lifetime.as_secs() }),
        )
        .into_response());
    }
    Ok(SharePage {
        name: file_name(&form.key).to_owned(),
        url,
        expires_at,
        back: format!("{}?path={}", bucket_path(bucket), q(parent(&form.key))),
        signed_in: true,
    }
    .into_response())
}

/// The most files one batch presigns.
const MAX_BATCH: usize = 1000;

#[derive(Template, WebTemplate)]
#[template(path = "buckets/share_batch.html")]
struct BatchPage {
    count: usize,
    lines: String,
    expires_at: String,
    back: String,
    signed_in: bool,
}

/// "Share selected": a presigned link for each selected file, as text to
/// copy or as CSV (`format=csv`). Each file is an audit event, as one link is.
pub async fn create_share_links(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    RawForm(body): RawForm,
) -> Result<Response> {
    let mut keys = Vec::new();
    let (mut expires, mut format, mut path) = (String::new(), String::new(), String::new());
    for (name, value) in url::form_urlencoded::parse(&body) {
        match name.as_ref() {
            "keys" => keys.push(value.into_owned()),
            "expires" => expires = value.into_owned(),
            "format" => format = value.into_owned(),
            "path" => path = value.into_owned(),
            _ => {}
        }
    }
    if keys.is_empty() {
        return Err(AppError::BadRequest(
            "Tick the files to share in the list first.".into(),
        ));
    }
    if keys.len() > MAX_BATCH {
        return Err(AppError::BadRequest(format!(
            "At most {MAX_BATCH} files at once; share fewer, or make one link to their folder."
        )));
    }
    for key in &keys {
        check_key(key).map_err(AppError::BadRequest)?;
        if has_dot_segment(key) || key.ends_with('/') {
            return Err(AppError::BadRequest(format!(
                "\"{key}\" cannot be shared by a presigned link; make a revocable link instead."
            )));
        }
    }
    let lifetime = lifetime(&expires)?;
    let bucket = &access.bucket;
    let s3 = state.s3_client(bucket).await?;
    let mut links = Vec::with_capacity(keys.len());
    for key in &keys {
        let disposition = content_disposition(Disposition::Attachment, file_name(key));
        let url = objects::presign_get(&s3, &bucket.bucket_name, key, lifetime, &disposition, None)
            .await
            .map_err(storage_error)?;
        links.push((key.as_str(), url));
    }
    let events: Vec<_> = keys
        .iter()
        .map(|key| audit::NewEvent {
            workspace_id: Some(WorkspaceId(bucket.workspace_id)),
            bucket_id: Some(BucketId(bucket.id)),
            details: json!({ "key": key, "expires_in": lifetime.as_secs(), "batch": keys.len() }),
            ..client.event(&access.me.user, "share_link_created")
        })
        .collect();
    // written here rather than by the audit writer: one statement, all or
    // nothing, and a thousand events kept out of other requests' batches
    audit::record_many(&state.db, &events).await?;
    let expires_at = utc_minutes(time::OffsetDateTime::now_utc() + lifetime);
    if format == "csv" {
        let mut csv = String::from("key,url,expires_at_utc\n");
        for (key, url) in &links {
            csv.push_str(&csv_line(&[*key, url.as_str(), expires_at.as_str()]));
        }
        return Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"share-links.csv\"",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            csv,
        )
            .into_response());
    }
    Ok(BatchPage {
        count: links.len(),
        lines: links
            .iter()
            .map(|(key, url)| format!("{key}\t{url}"))
            .collect::<Vec<_>>()
            .join("\n"),
        expires_at,
        back: format!("{}?path={}", bucket_path(bucket), q(&path)),
        signed_in: true,
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_fifteen_minutes_by_default_and_never_over_seven_days() {
        assert_eq!(lifetime("").unwrap(), Duration::from_secs(900));
        assert_eq!(lifetime("3600").unwrap(), Duration::from_secs(3600));
        assert_eq!(lifetime("604800").unwrap(), MAX_LIFETIME);
        for bad in ["0", "-5", "604801", "soon", "1e9"] {
            assert!(lifetime(bad).is_err(), "{bad}");
        }
    }
}
