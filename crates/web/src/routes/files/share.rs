//! "Share link": a presigned GET anyone can use until it expires (S15):
//! 15 minutes by default, 7 days at most, attachment disposition. Any role
//! that can download may make one; each is an audit event. The answer is
//! JSON for the browser script (right-click, copy), a page otherwise.

use super::changes::selection_problem;
use super::{bucket_path, q};
use crate::csv::csv_line;
use crate::extract::{BucketAccess, ClientInfo, Form};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{RawForm, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_core::presign::{self, Method, PresignRequest, Selection};
use bucketdesk_domain::object::{file_name, parent};
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ShareForm {
    key: String,
    /// Seconds; empty means 15 minutes.
    expires: String,
}

/// The lifetime asked for, if it is a whole number of seconds from 1 to 7
/// days (the core's rule); empty means 15 minutes.
fn lifetime(expires: &str) -> Result<Duration> {
    let out_of_range = || {
        AppError::BadRequest(
            "A share link lives from 1 second to 7 days (604800 seconds); choose a time in that range.".into(),
        )
    };
    let expires = expires.trim();
    let secs = if expires.is_empty() {
        None
    } else {
        Some(expires.parse::<u64>().map_err(|_| out_of_range())?)
    };
    presign::lifetime(secs).map_err(|_| out_of_range())
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/share.html")]
struct SharePage {
    name: String,
    url: String,
    expires_at: String,
    /// Shorter than asked: the bucket's role session ends sooner.
    capped: bool,
    back: String,
}

pub async fn create_share_link(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<ShareForm>,
) -> Result<Response> {
    let lifetime = lifetime(&form.expires)?;
    let link = presign::presign(
        &state.s3_clients,
        &state.audit,
        &access.grant,
        &access.me.actor(),
        &client.origin(),
        PresignRequest {
            key: &form.key,
            method: Method::Get,
            lifetime,
        },
    )
    .await?;
    let (url, lifetime, capped) = (link.url, link.lifetime, link.capped);
    let bucket = access.bucket();
    let expires_at = utc_minutes(link.expires_at);
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("application/json"));
    if wants_json {
        return Ok(axum::Json(
            json!({ "url": url, "expires_at": expires_at, "expires_in": lifetime.as_secs(), "capped": capped }),
        )
        .into_response());
    }
    Ok(SharePage {
        name: file_name(&form.key).to_owned(),
        url,
        expires_at,
        capped,
        back: format!("{}?path={}", bucket_path(bucket), q(parent(&form.key))),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/share_batch.html")]
struct BatchPage {
    count: usize,
    lines: String,
    expires_at: String,
    /// Shorter than asked: the bucket's role session ends sooner.
    capped: bool,
    back: String,
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
    // a mistake goes back to the list, said beside the selection's buttons
    let back = |message: String| async {
        Ok(selection_problem(&access, &path, message)
            .await?
            .into_response())
    };
    if keys.is_empty() {
        return back("Tick the files to share in the list first.".to_owned()).await;
    }
    let lifetime = lifetime(&expires)?;
    let made = presign::presign_batch(
        &state.s3_clients,
        &state.db,
        &access.grant,
        &access.me.actor(),
        &client.origin(),
        Selection::Keys(keys),
        lifetime,
    )
    .await;
    let links = match made {
        Ok(links) => links,
        // a folder ticked, too many files: the core's words, in place
        Err(error) => return back(super::changes::fixable(error)?).await,
    };
    let capped = links.iter().any(|link| link.capped);
    let ends = links.iter().map(|link| link.expires_at).min();
    let links: Vec<(&str, &str)> = links
        .iter()
        .map(|link| (link.key.as_str(), link.url.as_str()))
        .collect();
    let bucket = access.bucket();
    let expires_at =
        utc_minutes(ends.unwrap_or_else(|| time::OffsetDateTime::now_utc() + lifetime));
    if format == "csv" {
        let mut csv = String::from("key,url,expires_at_utc\n");
        for (key, url) in &links {
            csv.push_str(&csv_line(&[*key, *url, expires_at.as_str()]));
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
        capped,
        back: format!("{}?path={}", bucket_path(bucket), q(&path)),
    }
    .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use bucketdesk_core::presign::MAX_LIFETIME;

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
