//! A workspace's audit log (flow 12): every event, newest first, filtered by
//! person, bucket, action and date, a page at a time, and as CSV. Owners see
//! everything; a bucket Admin sees the events of their buckets and of the
//! workspace itself.

use crate::extract::WorkspaceAccess;
use crate::{AppError, AppState, Result, actions};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bucketdesk_core::{CoreError, Denied, audit_log};
use bucketdesk_db::audit;
use bucketdesk_domain::text;
use serde::Deserialize;
use uuid::Uuid;

const PAGE: i64 = 50;
/// The most rows one CSV export holds.
const CSV_LIMIT: i64 = 50_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/audit", get(show_audit_log))
        .route("/w/{workspace}/audit.csv", get(export_audit_log))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct AuditQuery {
    person: String,
    bucket: String,
    action: String,
    folder: String,
    from: String,
    until: String,
    before: String,
}

impl AuditQuery {
    fn link(&self, path: &str, before: Option<i64>) -> String {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("person", &self.person),
            ("bucket", &self.bucket),
            ("action", &self.action),
            ("folder", &self.folder),
            ("from", &self.from),
            ("until", &self.until),
        ] {
            if !value.is_empty() {
                pairs.append_pair(name, value);
            }
        }
        if let Some(before) = before {
            pairs.append_pair("before", &before.to_string());
        }
        format!("{path}?{}", pairs.finish())
    }
}

/// A typed date, when there is one.
fn date(value: &str, label: &str) -> Result<Option<time::Date>, String> {
    if value.trim().is_empty() {
        return Ok(None);
    }
    text::parse_date(label, value).map(Some)
}

/// The longest person filter: an email address is at most 254 characters.
const MAX_PERSON_CHARS: usize = 254;

/// Which buckets' events the caller sees: all (an owner) or those they
/// administer (`restricted`), as (id, name). Nobody else sees the log.
async fn scope(state: &AppState, access: &WorkspaceAccess) -> Result<(bool, Vec<(Uuid, String)>)> {
    let visible = audit_log::visible_buckets(&state.db, &access.grant, &access.me.actor())
        .await
        .map_err(|error| match error {
            CoreError::Forbidden(Denied::BucketRole { .. }) => AppError::Forbidden(
                "Only the workspace's owners and the Admins of its buckets see its audit log.",
            ),
            other => other.into(),
        })?;
    Ok((visible.only_buckets.is_some(), visible.buckets))
}

/// The query as a filter, or what is wrong with it, naming the field (R7):
/// nothing typed reaches the database unchecked.
fn filter(
    access: &WorkspaceAccess,
    q: &AuditQuery,
    restricted: bool,
    visible: &[(Uuid, String)],
) -> Result<audit::Filter, String> {
    let bucket = match q.bucket.as_str() {
        "" => None,
        id => Some(Uuid::parse_str(id).map_err(|_| "Choose a bucket from the list.".to_owned())?),
    };
    text::check_typed("The person filter", &q.person, MAX_PERSON_CHARS)?;
    if !q.action.is_empty() && !actions::is_known(&q.action) {
        return Err(
            "The action filter names no action bucketdesk records: choose one from the list."
                .into(),
        );
    }
    let folder = bucketdesk_domain::object::folder_filter(&q.folder)?;
    let from = date(&q.from, "The from date")?;
    // up to the end of the `until` day; after 9999-12-31 there is no bound
    let until = date(&q.until, "The until date")?.and_then(time::Date::next_day);
    Ok(audit::Filter {
        workspace: Some(access.workspace().id),
        person: (!q.person.trim().is_empty()).then(|| q.person.trim().to_owned()),
        bucket,
        action: (!q.action.is_empty()).then(|| q.action.clone()),
        folder,
        from: from.map(|d| d.midnight().assume_utc()),
        until: until.map(|d| d.midnight().assume_utc()),
        before_id: q.before.parse().ok(),
        only_buckets: restricted.then(|| visible.iter().map(|(id, _)| *id).collect()),
    })
}

struct EventRow {
    when: String,
    who: String,
    what: &'static str,
    bucket: String,
    about: String,
    from: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "workspaces/audit.html")]
struct AuditPage {
    sidebar: crate::sidebar::Sidebar,
    workspace_id: Uuid,
    workspace_name: String,
    restricted: bool,
    /// (id, name) of the buckets to filter by
    buckets: Vec<(String, String)>,
    actions: Vec<(String, &'static str)>,
    f_person: String,
    f_folder: String,
    f_bucket: String,
    f_action: String,
    f_from: String,
    f_until: String,
    csv_href: String,
    events: Vec<EventRow>,
    older: Option<String>,
    problem: Option<String>,
}

async fn show_audit_log(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    Query(q): Query<AuditQuery>,
) -> Result<Response> {
    let (restricted, buckets) = scope(&state, &access).await?;
    let (listed, problem) = match filter(&access, &q, restricted, &buckets) {
        Ok(filter) => (
            audit_log::read(&state.db, &access.grant, &access.me.actor(), filter, PAGE).await?,
            None,
        ),
        Err(problem) => (Vec::new(), Some(problem)),
    };
    let base = format!("/w/{}/audit", access.workspace().id);
    let older = (listed.len() as i64 == PAGE).then(|| q.link(&base, listed.last().map(|e| e.id)));
    let actions = audit::actions_in_workspace(&state.db, access.workspace().id)
        .await?
        .into_iter()
        .map(|a| {
            let label = actions::describe(&a);
            (a, label)
        })
        .collect();
    let events = listed
        .into_iter()
        .map(|e| EventRow {
            when: crate::pages::utc_seconds(e.occurred_at),
            who: e
                .actor_email
                .unwrap_or_else(|| "Someone with a link".into()),
            what: actions::describe(&e.action),
            bucket: e.bucket_name.unwrap_or_default(),
            about: actions::summary(&e.details),
            from: [
                e.ip.unwrap_or_default(),
                e.user_agent
                    .as_deref()
                    .map(crate::pages::device)
                    .unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s: &String| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        })
        .collect();
    let status = if problem.is_some() {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let page = AuditPage {
        sidebar: crate::sidebar::Sidebar::for_workspace(&state.db, &access).await?,
        workspace_id: access.workspace().id,
        workspace_name: access.workspace().name.clone(),
        restricted,
        buckets: buckets
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        actions,
        f_person: q.person.clone(),
        f_folder: q.folder.chars().take(1024).collect(),
        f_bucket: q.bucket.clone(),
        f_action: q.action.clone(),
        f_from: q.from.clone(),
        f_until: q.until.clone(),
        csv_href: q.link(&format!("/w/{}/audit.csv", access.workspace().id), None),
        events,
        older,
        problem,
    };
    Ok((status, page).into_response())
}

async fn export_audit_log(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    Query(q): Query<AuditQuery>,
) -> Result<Response> {
    let (restricted, buckets) = scope(&state, &access).await?;
    let filter = filter(&access, &q, restricted, &buckets).map_err(AppError::BadRequest)?;
    let actor = access.me.actor();
    let listed = audit_log::read(&state.db, &access.grant, &actor, filter, CSV_LIMIT).await?;
    let csv = crate::csv::audit_log(listed);
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}
