//! A workspace's audit log through the API: a page of events as JSON, or
//! every matching event as CSV (`Accept: text/csv`), with the same
//! visibility as the audit page (Owners everything, bucket Admins their
//! buckets); the `admin` scope.

use super::auth::ApiUser;
use super::error::ApiResult;
use super::links::workspace_grant;
use super::openapi::{Refusals, WorkspacePath};
use super::rfc3339;
use crate::AppState;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use bucketdesk_api_types as api;
use bucketdesk_core::{CoreError, audit_log};
use bucketdesk_db::audit::Filter;
use bucketdesk_domain::text;
use serde::Deserialize;
use uuid::Uuid;

/// Events one JSON page holds at most.
const MAX_PAGE: i64 = 1000;
/// Events one CSV export holds at most.
const CSV_LIMIT: i64 = 50_000;

#[derive(Deserialize, Default, utoipa::IntoParams)]
#[serde(default)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The acting person's whole email address, or its start before the
    /// `@` (`alice` finds alice@example.com and alice.smith@example.org);
    /// any case.
    person: Option<String>,
    /// Only this bucket's events (its id).
    bucket: Option<String>,
    /// Only this action, e.g. `link_created`.
    action: Option<String>,
    /// Only events about what lies in this folder (e.g. `clients/acme/`).
    folder: Option<String>,
    /// From this day on (YYYY-MM-DD, UTC).
    from: Option<String>,
    /// Up to the end of this day (YYYY-MM-DD, UTC).
    until: Option<String>,
    /// Only events older than this id: the `next_before` of the page before.
    before: Option<i64>,
    /// At most this many events (1 to 1000; 100 by default). CSV: all, up to 50,000.
    limit: Option<i64>,
}

fn filter(q: &AuditQuery) -> Result<Filter, CoreError> {
    let invalid = |field, message: String| CoreError::invalid(field, "invalid", message);
    let bucket = match q.bucket.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(id) => Some(
            Uuid::parse_str(id)
                .map_err(|_| invalid("bucket", "A bucket is named by its id.".into()))?,
        ),
    };
    let person = q.person.as_deref().unwrap_or_default().trim();
    text::check_typed("The person filter", person, 254).map_err(|m| invalid("person", m))?;
    let day = |field, value: &Option<String>| -> Result<Option<time::Date>, CoreError> {
        match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => text::parse_date(field, v)
                .map(Some)
                .map_err(|m| invalid(field, m)),
        }
    };
    let folder = bucketdesk_domain::object::folder_filter(q.folder.as_deref().unwrap_or_default())
        .map_err(|m| invalid("folder", m))?;
    let from = day("from", &q.from)?;
    let until = day("until", &q.until)?.and_then(time::Date::next_day);
    Ok(Filter {
        person: (!person.is_empty()).then(|| person.to_owned()),
        bucket,
        action: q.action.clone().filter(|a| !a.is_empty()),
        folder,
        from: from.map(|d| d.midnight().assume_utc()),
        until: until.map(|d| d.midnight().assume_utc()),
        before_id: q.before,
        ..Filter::default()
    })
}

/// `GET /api/v1/workspaces/{workspace}/audit`
#[utoipa::path(get, path = "/api/v1/workspaces/{workspace}/audit", tag = "members",
    summary = "The workspace's audit log, newest first, as JSON pages or CSV (Owners, bucket Admins; scope admin)",
    params(WorkspacePath, AuditQuery),
    responses(
        (status = 200, description = "A page of events; every matching event as CSV for `Accept: text/csv`",
            content((api::AuditPage = "application/json"), (String = "text/csv"))),
        Refusals))]
pub async fn list(
    State(state): State<AppState>,
    user: ApiUser,
    Path(workspace): Path<String>,
    headers: HeaderMap,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query?;
    let grant = workspace_grant(&state, &user, &workspace).await?;
    let filter = filter(&query)?;
    let wants_csv = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/csv"));
    if wants_csv {
        let events = audit_log::read(&state.db, &grant, &user.actor, filter, CSV_LIMIT).await?;
        let csv = crate::csv::audit_log(events);
        return Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], csv).into_response());
    }
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(CoreError::invalid(
            "limit",
            "out_of_range",
            format!("A page holds from 1 to {MAX_PAGE} events."),
        )
        .into());
    }
    let events = audit_log::read(&state.db, &grant, &user.actor, filter, limit).await?;
    let next_before = (events.len() as i64 == limit)
        .then(|| events.last().map(|e| e.id))
        .flatten();
    let events = events
        .into_iter()
        .map(|e| api::AuditEvent {
            id: e.id,
            at: rfc3339(e.occurred_at),
            person: e.actor_email,
            action: e.action,
            bucket: e.bucket_name,
            ip: e.ip,
            user_agent: e.user_agent,
            details: e.details,
        })
        .collect();
    Ok(Json(api::AuditPage {
        events,
        next_before,
    })
    .into_response())
}
