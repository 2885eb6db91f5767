//! Making and managing revocable links. Anyone who can download from a
//! bucket may make a download link to its files or folders; Editors and above
//! may make upload links ([`new`]). The links page lists a person's own
//! links, and for a bucket's Admins and Owners every link on it: status,
//! expiry, use, last visit, with revoke, extend and copy ([`manage`]).

pub(crate) mod manage;
mod new;

use crate::AppState;
use axum::Router;
use axum::routing::{get, post};
use bucketdesk_domain::link::describe_duration;
use std::time::Duration;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/links", get(manage::list_links))
        .route("/w/{workspace}/links/{link}", get(manage::show_link))
        .route(
            "/w/{workspace}/links/{link}/revoke",
            post(manage::revoke_link),
        )
        .route(
            "/w/{workspace}/links/{link}/extend",
            post(manage::extend_link),
        )
        .route(
            "/w/{workspace}/b/{bucket}/links/new",
            get(new::new_link_for).post(new::new_link_for_selection),
        )
        .route("/w/{workspace}/b/{bucket}/links", post(new::create_link))
        .route(
            "/w/{workspace}/b/{bucket}/upload-links/new",
            get(new::new_upload_link),
        )
        .route(
            "/w/{workspace}/b/{bucket}/upload-links",
            post(new::create_upload_link),
        )
}

/// The lifetimes the forms offer, up to the instance maximum: (seconds, words).
pub(super) fn lifetime_choices(max: Duration) -> Vec<(u64, String)> {
    let mut choices: Vec<(u64, String)> = [
        3_600u64,
        86_400,
        7 * 86_400,
        30 * 86_400,
        90 * 86_400,
        365 * 86_400,
    ]
    .into_iter()
    .filter(|secs| *secs <= max.as_secs())
    .map(|secs| (secs, describe_duration(Duration::from_secs(secs))))
    .collect();
    if choices.last().is_none_or(|(secs, _)| *secs < max.as_secs()) {
        choices.push((max.as_secs(), describe_duration(max)));
    }
    choices
}
