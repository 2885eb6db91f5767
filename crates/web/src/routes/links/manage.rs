//! The links page and one link's page: status, expiry, use, visits, with
//! revoke and extend.

use super::lifetime_choices;
use crate::extract::{ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::links;
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use bucketdesk_core::CoreError;
use bucketdesk_core::links as core_links;
use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_domain::link::{self as rules, LinkState};
use bucketdesk_domain::object::human_size;
use bucketdesk_domain::text::plural;
use serde::Deserialize;
use uuid::Uuid;

/// Links the links page shows.
const PAGE_LIMIT: i64 = 500;

pub struct LinkRow {
    id: Uuid,
    what: String,
    kind: &'static str,
    bucket: String,
    state: LinkState,
    expires_at: String,
    usage: String,
    /// The last download (download links) or file received (upload links).
    last_used: String,
    creator: String,
    address: Option<String>,
}

pub(crate) fn usage(link: &Link) -> String {
    match link.kind() {
        LinkKind::Download => match link.max_downloads {
            Some(max) => format!(
                "{} of {}",
                link.downloads,
                plural(i64::from(max), "download", "downloads")
            ),
            None => plural(i64::from(link.downloads), "download", "downloads"),
        },
        LinkKind::Upload => match link.max_files {
            Some(max) => format!(
                "{} of {}",
                link.files_taken,
                plural(i64::from(max), "file", "files")
            ),
            None => plural(link.files_taken, "file", "files"),
        },
    }
}

fn row(state: &AppState, link: &Link) -> LinkRow {
    LinkRow {
        id: link.id,
        what: links::describe(link),
        kind: match link.kind() {
            LinkKind::Download => "Download",
            LinkKind::Upload => "Upload",
        },
        bucket: link.bucket_label.clone(),
        state: link.state(),
        expires_at: utc_minutes(link.expires_at),
        usage: usage(link),
        last_used: link.last_visit_at.map(utc_minutes).unwrap_or_default(),
        creator: link.creator_email.clone().unwrap_or_default(),
        address: links::address(state, link),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "links/index.html")]
struct LinksPage {
    sidebar: crate::sidebar::Sidebar,
    csrf: String,
    workspace_id: Uuid,
    workspace_name: String,
    rows: Vec<LinkRow>,
}

pub(super) async fn list_links(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    let found = core_links::list(&state.db, &access.grant, &access.me.actor(), PAGE_LIMIT).await?;
    Ok(LinksPage {
        sidebar: crate::sidebar::Sidebar::for_workspace(&state.db, &access).await?,
        csrf,
        workspace_id: access.workspace().id,
        workspace_name: access.workspace().name.clone(),
        rows: found.iter().map(|link| row(&state, link)).collect(),
    }
    .into_response())
}

pub struct Visit {
    at: String,
    action: &'static str,
    file: String,
    ip: String,
    /// "Chrome on Linux"; the whole user agent is its tooltip.
    browser: String,
    user_agent: String,
    person: String,
}

pub struct Arrival {
    name: String,
    size: String,
    at: String,
    ip: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "links/show.html")]
struct LinkPage {
    sidebar: crate::sidebar::Sidebar,
    csrf: String,
    workspace_id: Uuid,
    workspace_name: String,
    link: LinkRow,
    is_upload: bool,
    note: String,
    password: bool,
    folder: String,
    keys: Vec<String>,
    created_at: String,
    limits: Vec<String>,
    notify: bool,
    /// The networks it opens from (none: anywhere).
    networks: Vec<String>,
    /// The addresses it is for (none: anyone with the link).
    recipients: Vec<String>,
    visits: Vec<Visit>,
    arrivals: Vec<Arrival>,
    choices: Vec<(u64, String)>,
    notice: Option<&'static str>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DoneQuery {
    done: String,
}

async fn visible_link(state: &AppState, access: &WorkspaceAccess, id: &str) -> Result<Link> {
    let id = Uuid::parse_str(id).map_err(|_| AppError::NoAccess)?;
    let found = core_links::find(&state.db, &access.grant, &access.me.actor(), id).await;
    found.map_err(|error| match error {
        CoreError::NotFound => AppError::NoAccess,
        other => other.into(),
    })
}

pub(super) async fn show_link(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
    Path((_, id)): Path<(String, String)>,
    Query(query): Query<DoneQuery>,
) -> Result<Response> {
    let link = visible_link(&state, &access, &id).await?;
    let events = core_links::visits(&state.db, &access.grant, &link, 500).await?;
    let visits = events
        .iter()
        .map(|event| Visit {
            at: utc_minutes(event.occurred_at),
            action: crate::actions::describe(&event.action),
            file: event
                .details
                .get("key")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned(),
            ip: event.ip.clone().unwrap_or_default(),
            browser: event
                .user_agent
                .as_deref()
                .map(crate::pages::device)
                .unwrap_or_default(),
            user_agent: event.user_agent.clone().unwrap_or_default(),
            person: event
                .actor_email
                .clone()
                .unwrap_or_else(|| "Someone with the link".into()),
        })
        .collect();
    let arrivals = core_links::arrivals(&state.db, &link)
        .await?
        .into_iter()
        .map(|a| Arrival {
            name: a.key,
            size: human_size(a.size),
            at: utc_minutes(a.finished_at),
            ip: a.ip.unwrap_or_default(),
        })
        .collect();
    let mut limits = Vec::new();
    if let Some(max) = link.max_downloads {
        limits.push(format!(
            "At most {}",
            plural(i64::from(max), "download", "downloads")
        ));
    }
    if let Some(max) = link.max_files {
        limits.push(format!(
            "At most {}",
            plural(i64::from(max), "file", "files")
        ));
    }
    if let Some(max) = link.max_file_bytes {
        limits.push(format!("Files of at most {}", human_size(max)));
    }
    Ok(LinkPage {
        sidebar: crate::sidebar::Sidebar::for_workspace(&state.db, &access).await?,
        csrf,
        workspace_id: access.workspace().id,
        workspace_name: access.workspace().name.clone(),
        is_upload: link.kind() == LinkKind::Upload,
        note: link.note.clone(),
        password: link.password_hash.is_some(),
        folder: link.folder.clone().unwrap_or_default(),
        keys: link.keys.clone(),
        created_at: utc_minutes(link.created_at),
        limits,
        notify: link.notify_first_download || link.notify_arrivals,
        networks: link.networks.clone(),
        recipients: link.recipients.clone(),
        visits,
        arrivals,
        choices: lifetime_choices(state.settings.link_max_lifetime),
        notice: match query.done.as_str() {
            "created" => Some("Link made. Copy it and send it to whoever needs it."),
            "revoked" => Some("Link revoked: it stopped working at once."),
            "extended" => Some("Link extended."),
            _ => None,
        },
        link: row(&state, &link),
    }
    .into_response())
}

pub(super) async fn revoke_link(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, id)): Path<(String, String)>,
) -> Result<Response> {
    let link = visible_link(&state, &access, &id).await?;
    let actor = access.me.actor();
    core_links::revoke(&state.db, &access.grant, &actor, &client.origin(), link.id).await?;
    Ok(Redirect::to(&format!(
        "/w/{}/links/{}?done=revoked",
        link.workspace_id, link.id
    ))
    .into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ExtendForm {
    expires: String,
}

pub(super) async fn extend_link(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    Path((_, id)): Path<(String, String)>,
    Form(form): Form<ExtendForm>,
) -> Result<Response> {
    let link = visible_link(&state, &access, &id).await?;
    let lifetime = rules::lifetime(&form.expires, state.settings.link_max_lifetime)
        .map_err(AppError::BadRequest)?;
    let actor = access.me.actor();
    let extended = core_links::extend(
        &state.db,
        &access.grant,
        &actor,
        &client.origin(),
        &state.settings.link_limits(),
        link.id,
        lifetime,
    )
    .await;
    match extended {
        Ok(_) => {}
        Err(CoreError::Conflict { message, .. }) => return Err(AppError::BadRequest(message)),
        Err(other) => return Err(other.into()),
    }
    Ok(Redirect::to(&format!(
        "/w/{}/links/{}?done=extended",
        link.workspace_id, link.id
    ))
    .into_response())
}
