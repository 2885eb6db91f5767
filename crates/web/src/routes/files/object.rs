//! One object: its details, a preview for safe types, and downloads through
//! a fresh 15-minute presigned GET (S15), so bytes flow from the bucket.

use super::browse::{Crumb, crumbs};
use super::rendered::Rendered;
use super::{bucket_path, q, storage_error};
use crate::extract::{BucketAccess, ClientInfo, CsrfToken};
use crate::middleware::headers::content_security_policy;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use bucketdesk_core::access::Viewer;
use bucketdesk_core::buckets::file_system_backed;
use bucketdesk_core::files::{self, Delivery};
use bucketdesk_db::buckets::Bucket;
use bucketdesk_domain::Role;
use bucketdesk_domain::object::{
    Disposition, Preview, check_readable_key, content_disposition, file_name, has_dot_segment,
    human_size, parent,
};
use bucketdesk_storage::objects;
use serde::Deserialize;
use std::time::Duration;

/// How long a download or preview link works (S15).
pub const LINK_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How much of a text file a preview shows.
const TEXT_PREVIEW_BYTES: u64 = 1024 * 1024;

#[derive(Deserialize, Default)]
pub struct KeyQuery {
    #[serde(default)]
    pub key: String,
}

/// The key in the query, when it may be read from this bucket (S19: keys
/// with `.` or `..` parts are never read from file-system backed storage).
pub fn readable_key<'a>(bucket: &Bucket, query: &'a KeyQuery) -> Result<&'a str> {
    check_readable_key(&query.key, file_system_backed(bucket)).map_err(AppError::BadRequest)?;
    Ok(&query.key)
}

/// "2.4 MB (2400000 bytes)", or "480 bytes" when that says it all.
fn exact_size(bytes: i64) -> String {
    let human = human_size(bytes);
    if bytes < 1000 {
        human
    } else {
        format!("{human} ({bytes} bytes)")
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/object.html")]
struct ObjectPage {
    csrf: String,
    base: String,
    /// The folders above the file, each opening it (none at the top).
    crumbs: Vec<Crumb>,
    display_name: String,
    key: String,
    name: String,
    folder: String,
    size: String,
    content_type: String,
    modified: String,
    etag: String,
    storage_class: String,
    metadata: Vec<(String, String)>,
    s3_uri: String,
    download: String,
    preview: Preview,
    preview_url: String,
    preview_text: Option<String>,
    truncated: bool,
    can_edit: bool,
    /// A CSV or TSV file's first rows: the header, then the rest.
    csv_head: Option<Vec<String>>,
    csv_rows: Vec<Vec<String>>,
    /// A Markdown file as a page (no HTML of its own, no script links).
    markdown_html: Option<String>,
    /// A code or data file with its parts coloured, and its language.
    code_html: Option<(&'static str, String)>,
    /// Why the last rename did not happen, and the name that was typed.
    rename_problem: Option<(String, String)>,
    sidebar: crate::sidebar::Sidebar,
}

pub async fn show_object(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<KeyQuery>,
) -> Result<Response> {
    let bucket = access.bucket();
    let key = readable_key(bucket, &query)?;
    let at = access.at::<Viewer>(key)?;
    let client = state.s3_clients.client(&at).await?;
    let settings = &state.settings.storage;
    let details = objects::details(&client, &bucket.bucket_name, key, settings)
        .await
        .map_err(storage_error)?;
    let name = file_name(key).to_owned();
    let mut preview = match Preview::of(details.content_type.as_deref(), &name) {
        // an inline link to such a key cannot work (see `download`)
        p if has_dot_segment(key) && p != Preview::Text => Preview::None,
        p => p,
    };
    let (mut preview_url, mut preview_text, mut truncated) = (String::new(), None, false);
    match preview.inline_content_type(&name) {
        // proxy mode: the preview streams through bucketdesk, as the type its name says
        Some(_)
            if bucket.proxy_downloads
                && Preview::of(None, &name)
                    .inline_content_type(&name)
                    .is_none() =>
        {
            preview = Preview::None;
        }
        Some(_) if bucket.proxy_downloads => {
            preview_url = format!("{}/preview?key={}", super::bucket_path(bucket), q(key));
        }
        Some(content_type) => {
            let disposition = content_disposition(Disposition::Inline, &name);
            // signed for where browsers reach the bucket
            let lifetime = state
                .s3_clients
                .presign_lifetime(&at, LINK_LIFETIME)
                .await?;
            let presigner = state.s3_clients.presigner(&at).await?;
            preview_url = objects::presign_get(
                &presigner,
                &bucket.bucket_name,
                key,
                lifetime,
                &disposition,
                Some(content_type),
            )
            .await
            .map_err(storage_error)?;
        }
        None if preview == Preview::Text && details.size == 0 => preview_text = Some(String::new()),
        None if preview == Preview::Text => {
            let bytes = objects::read_start(
                &client,
                &bucket.bucket_name,
                key,
                TEXT_PREVIEW_BYTES,
                settings,
            )
            .await
            .map_err(storage_error)?;
            truncated = details.size as u64 > TEXT_PREVIEW_BYTES;
            preview_text = Some(String::from_utf8_lossy(&bytes).into_owned());
        }
        None => {}
    }
    let rendered = preview_text
        .as_deref()
        .map_or(Rendered::Plain, |text| Rendered::of(&name, text));
    let (mut csv_head, mut csv_rows, mut markdown_html) = (None, Vec::new(), None);
    let mut code_html = None;
    match rendered {
        Rendered::Table(mut rows) if !rows.is_empty() => {
            csv_head = Some(rows.remove(0));
            csv_rows = rows;
        }
        Rendered::Markdown(html) => markdown_html = Some(html),
        Rendered::Code { language, html } => code_html = Some((language, html)),
        _ => {}
    }
    let base = bucket_path(bucket);
    let folder = parent(key).to_owned();
    let page = ObjectPage {
        csrf,
        crumbs: crumbs(&base, &folder, access.grants().top_of(&folder)),
        download: format!("{base}/download?key={}", q(key)),
        display_name: bucket.display_name.clone(),
        key: key.to_owned(),
        name,
        folder,
        size: exact_size(details.size),
        content_type: details.content_type.unwrap_or_else(|| "unknown".into()),
        modified: details
            .last_modified
            .and_then(|t| {
                t.format(time::macros::format_description!(
                    "[year]-[month]-[day] [hour]:[minute]:[second] UTC"
                ))
                .ok()
            })
            .unwrap_or_default(),
        etag: details.etag.unwrap_or_default(),
        storage_class: details.storage_class,
        metadata: details.metadata,
        s3_uri: format!("s3://{}/{key}", bucket.bucket_name),
        preview,
        preview_text,
        truncated,
        can_edit: access.allows_at(Role::Editor, key),
        csv_head,
        csv_rows,
        markdown_html,
        code_html,
        rename_problem: crate::form_problem::take(&access.me.session)
            .await?
            .filter(|p| p.form == "rename")
            .map(|p| (p.message, p.typed)),
        sidebar: crate::sidebar::Sidebar::for_bucket(&state.db, &access).await?,
        base,
        preview_url: preview_url.clone(),
    };
    let mut response = page.into_response();
    // the preview loads from the bucket's endpoint: allow exactly that origin
    if let Some(origin) = url::Url::parse(&preview_url)
        .ok()
        .map(|u| u.origin().ascii_serialization())
    {
        let csp = content_security_policy(&state.settings)
            .replace("img-src 'self'", &format!("img-src 'self' {origin}"))
            .replace("media-src 'self'", &format!("media-src 'self' {origin}"))
            .replace(
                "object-src 'none'",
                &format!("object-src 'none'; frame-src {origin}"),
            );
        if let Ok(value) = HeaderValue::from_str(&csp) {
            response
                .headers_mut()
                .insert(header::CONTENT_SECURITY_POLICY, value);
        }
    }
    Ok(response)
}

/// Redirects to a fresh presigned GET with an attachment disposition.
pub async fn download(
    State(state): State<AppState>,
    access: BucketAccess,
    client_info: ClientInfo,
    Query(query): Query<KeyQuery>,
) -> Result<Response> {
    let (actor, origin) = (access.me.actor(), client_info.origin());
    let delivery = files::download(
        &state.s3_clients,
        &state.audit,
        &access.grant,
        &actor,
        &origin,
        &query.key,
    )
    .await?;
    Ok(delivery_response(delivery))
}

/// The answer that hands over a file: a redirect to its presigned URL, or,
/// for keys no URL can name, the bytes streamed through bucketdesk.
pub fn delivery_response(delivery: Delivery) -> Response {
    match delivery {
        Delivery::Url(url) => Redirect::to(&url).into_response(),
        Delivery::Bytes {
            stream,
            length,
            disposition,
        } => {
            let mut response = axum::body::Body::from_stream(stream).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            );
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            if let Some(length) = length {
                headers.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
            }
            response
        }
    }
}
