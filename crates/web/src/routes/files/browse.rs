//! One page of a folder: exactly one ListObjectsV2 per view (P1).

use super::thumbnail::thumbnail_href;
use super::{bucket_path, q};
use crate::extract::{BucketAccess, CsrfToken};
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Redirect;
use axum::response::{IntoResponse, Response};
use bucketdesk_core::CoreError;
use bucketdesk_core::access::Editor;
use bucketdesk_core::files::{self, ListRequest};
use bucketdesk_domain::Role;
use bucketdesk_domain::object::{FileKind, file_name, human_size};
use serde::Deserialize;

pub const DEFAULT_PAGE: i32 = 200;
pub const MAX_PAGE: i32 = 1000;
/// Separates the tokens of earlier pages in `trail` (never part of a token).
const TRAIL_SEPARATOR: char = '~';
/// Earlier pages remembered for "Previous"; beyond this, the oldest is dropped
/// (going back past it starts from the first page) so links stay short.
const MAX_TRAIL: usize = 25;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BrowseQuery {
    path: String,
    token: String,
    trail: String,
    per_page: String,
    starts: String,
    done: String,
}

pub struct Crumb {
    pub name: String,
    pub href: String,
}

pub struct Row {
    pub name: String,
    pub key: String,
    pub is_folder: bool,
    pub href: String,
    pub download: String,
    pub size: String,
    pub bytes: i64,
    pub modified: String,
    /// The stylesheet's class for the icon of what it is.
    pub kind: &'static str,
    /// A small picture of an image file, made by the server.
    pub thumbnail: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/browse.html")]
pub struct BrowsePage {
    csrf: String,
    base: String,
    workspace_id: uuid::Uuid,
    workspace_name: String,
    bucket_name: String,
    display_name: String,
    role: Role,
    can_edit: bool,
    is_owner: bool,
    /// Files larger than this upload a chunk at a time (resumable).
    chunk_size: u64,
    path: String,
    /// The folder that holds this one ("" at the top).
    parent_path: String,
    starts: String,
    crumbs: Vec<Crumb>,
    rows: Vec<Row>,
    next: Option<String>,
    previous: Option<String>,
    problem: Option<String>,
    notice: Option<&'static str>,
    /// A mistake in one of this page's forms, from the last request.
    form_problem: Option<crate::form_problem::FormProblem>,
    sidebar: crate::sidebar::Sidebar,
}

impl BrowsePage {
    /// The mistake of the form named `form`, if the last request made one.
    fn problem_in(&self, form: &str) -> Option<&str> {
        self.form_problem
            .as_ref()
            .filter(|p| p.form == form)
            .map(|p| p.message.as_str())
    }

    /// What was typed in the form named `form` when it went wrong.
    fn typed_in(&self, form: &str) -> &str {
        self.form_problem
            .as_ref()
            .filter(|p| p.form == form)
            .map_or("", |p| p.typed.as_str())
    }
}

/// One breadcrumb per folder of `path` (which ends with `/`), each opening
/// it; starting with the whole of `top` (the granted folder a person with
/// folder grants starts from), when `path` is in it.
pub(super) fn crumbs(base: &str, path: &str, top: Option<&str>) -> Vec<Crumb> {
    let mut crumbs = Vec::new();
    let mut so_far = String::new();
    let top = top.filter(|top| !top.is_empty() && path.starts_with(top));
    if let Some(top) = top {
        so_far.push_str(top);
        crumbs.push(Crumb {
            name: top.trim_end_matches('/').to_owned(),
            href: format!("{base}?path={}", q(top)),
        });
    }
    for part in path[so_far.len()..].split_inclusive('/') {
        so_far.push_str(part);
        crumbs.push(Crumb {
            name: part.trim_end_matches('/').to_owned(),
            href: format!("{base}?path={}", q(&so_far)),
        });
    }
    crumbs
}

pub async fn browse(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<BrowseQuery>,
) -> Result<Response> {
    let bucket = access.bucket();
    let base = bucket_path(bucket);
    let mut path = query.path.clone();
    if !path.is_empty() && !path.ends_with('/') {
        path.push('/');
    }
    // someone with one folder finds the bucket opened at it
    let home = access.grants().home();
    if path.is_empty() && !home.is_empty() {
        return Ok(Redirect::to(&format!("{base}?path={}", q(home))).into_response());
    }
    let per_page = query
        .per_page
        .parse::<i32>()
        .unwrap_or(DEFAULT_PAGE)
        .clamp(1, MAX_PAGE);
    let token = (!query.token.is_empty()).then_some(query.token.as_str());
    // one ListObjectsV2, or none above someone's granted folders; what
    // reaches S3 is checked first (S19, R7): a mistake shows on the page
    let listed = files::list(
        &state.s3_clients,
        &access.grant,
        ListRequest {
            prefix: &path,
            starts_with: &query.starts,
            cursor: token,
            limit: per_page,
        },
    )
    .await;
    let empty = || files::Page {
        folders: Vec::new(),
        files: Vec::new(),
        next_cursor: None,
    };
    let (listing, problem, status) = match listed {
        Ok(listing) => (listing, None, StatusCode::OK),
        Err(CoreError::Invalid(problems)) => {
            let words = problems
                .into_iter()
                .map(|p| match p.field {
                    "prefix" => format!("The folder path: {}", p.message),
                    // the page's own link was changed or is from another listing
                    "cursor" => bucketdesk_storage::ConnectError::BadPageToken.to_string(),
                    _ => p.message,
                })
                .collect::<Vec<_>>()
                .join(" ");
            (empty(), Some(words), StatusCode::BAD_REQUEST)
        }
        Err(CoreError::Storage(e)) => (empty(), Some(e.to_string()), StatusCode::BAD_GATEWAY),
        Err(other) => return Err(other.into()),
    };

    let link = |key: &str| format!("{base}/object?key={}", q(key));
    let mut rows: Vec<Row> = listing
        .folders
        .iter()
        .map(|folder| Row {
            name: file_name(folder).to_owned(),
            key: folder.clone(),
            is_folder: true,
            href: format!("{base}?path={}", q(folder)),
            download: String::new(),
            size: String::new(),
            bytes: -1,
            modified: String::new(),
            kind: "kind-folder",
            thumbnail: None,
        })
        .collect();
    rows.extend(listing.files.iter().map(|file| {
        let name = file_name(&file.key);
        Row {
            kind: FileKind::of(name).css_class(),
            thumbnail: thumbnail_href(&base, &file.key, file.size, file.last_modified),
            name: name.to_owned(),
            key: file.key.clone(),
            is_folder: false,
            href: link(&file.key),
            download: format!("{base}/download?key={}", q(&file.key)),
            size: human_size(file.size),
            bytes: file.size,
            modified: file
                .last_modified
                .and_then(|t| {
                    t.format(time::macros::format_description!(
                        "[year]-[month]-[day] [hour]:[minute]"
                    ))
                    .ok()
                })
                .unwrap_or_default(),
        }
    }));

    let here = |token: &str, trail: &str| {
        let mut href = format!("{base}?path={}&per_page={per_page}", q(&path));
        if !query.starts.is_empty() {
            href.push_str(&format!("&starts={}", q(&query.starts)));
        }
        if !token.is_empty() {
            href.push_str(&format!("&token={}", q(token)));
        }
        if !trail.is_empty() {
            href.push_str(&format!("&trail={}", q(trail)));
        }
        href
    };
    // `trail` holds the tokens of the pages before this one ("-" is the first
    // page), so "Previous" can go back although S3 only lists forwards
    let trail: Vec<&str> = query
        .trail
        .split(TRAIL_SEPARATOR)
        .filter(|t| !t.is_empty())
        .collect();
    let current = if query.token.is_empty() {
        "-"
    } else {
        query.token.as_str()
    };
    let next = listing
        .next_cursor
        .as_deref()
        .filter(|t| !t.contains(TRAIL_SEPARATOR))
        .map(|next| {
            let mut longer = trail.clone();
            longer.push(current);
            if longer.len() > MAX_TRAIL {
                longer.remove(0);
                longer[0] = "-";
            }
            here(next, &longer.join(&TRAIL_SEPARATOR.to_string()))
        });
    let previous = trail.split_last().map(|(last, rest)| {
        let token = if *last == "-" { "" } else { last };
        here(token, &rest.join(&TRAIL_SEPARATOR.to_string()))
    });
    let notice = match query.done.as_str() {
        "uploaded" => Some("Uploaded."),
        "folder" => Some("The folder was created: this is it. Upload files into it here."),
        "renamed" => Some("Renamed."),
        "deleted" => Some("Deleted."),
        "moved" => Some("Moved."),
        "saved" => Some("The settings were saved."),
        _ => None,
    };
    // direct uploads: the script sends parts straight to the bucket
    // (a bucket whose links cannot be signed shows that in its listing;
    // its script then sends parts through bucketdesk)
    let part_origin = match access.at::<Editor>(&path) {
        Ok(editor) => bucketdesk_core::direct_uploads::part_origin(&state.s3_clients, &editor)
            .await
            .ok()
            .flatten(),
        Err(_) => None,
    };
    let page = BrowsePage {
        csrf,
        crumbs: crumbs(&base, &path, access.grants().top_of(&path)),
        base,
        workspace_id: bucket.workspace_id,
        workspace_name: access.workspace_name().to_owned(),
        bucket_name: bucket.bucket_name.clone(),
        display_name: bucket.display_name.clone(),
        role: access.role(),
        can_edit: access.allows_at(Role::Editor, &path),
        is_owner: access.allows(Role::Owner),
        chunk_size: state.uploads.chunk_size,
        parent_path: bucketdesk_domain::object::parent(&path).to_owned(),
        path,
        starts: query.starts.clone(),
        rows,
        next,
        previous,
        problem,
        notice,
        form_problem: crate::form_problem::take(&access.me.session).await?,
        sidebar: crate::sidebar::Sidebar::for_bucket(&state.db, &access).await?,
    };
    let mut response = (status, page).into_response();
    if let Some(origin) = part_origin
        && let Some(policy) = crate::middleware::headers::connecting_to(&state.csp, &origin)
    {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_SECURITY_POLICY, policy);
    }
    Ok(response)
}
