//! What people without an account see through a link (DESIGN.md flows
//! 10-11): `/s/{token}` downloads a shared file, set of files or folder;
//! `/u/{token}` uploads into one folder. Nothing about the bucket or its keys
//! is shown. Every visit re-checks the link: not revoked, expired or used up,
//! its creator still on the bucket, the bucket still connected.
//!
//! [`download`] serves download links, [`upload`] upload links; the
//! password step both share is here.

mod download;
mod upload;

use crate::extract::{ClientInfo, CsrfToken, Form};
use crate::links;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_db::links::{Link, LinkKind};
use serde::Deserialize;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(download::show_download_link))
        .route("/s/{token}/unlock", post(unlock_download))
        .route("/u/{token}", get(upload::show_upload_link))
        .route("/u/{token}/unlock", post(unlock_upload))
}

/// Downloads may stream through bucketdesk (see `deliver`), uploads always do.
pub fn transfers() -> Router<AppState> {
    Router::new()
        .route(
            "/s/{token}/download",
            get(download::download).head(super::head_without_effects),
        )
        .route(
            "/s/{token}/zip",
            get(download::download_all).head(super::head_without_effects),
        )
        .route("/u/{token}/files", post(upload::receive_file))
}

/// What visitors are told when the storage fails: nothing about the bucket
/// (its name, endpoint or permissions stay in the server's log).
const STORAGE_TROUBLE: &str =
    "The file could not be fetched from storage just now. Try again in a few minutes.";

/// A failure as a visitor of a link may see it.
fn for_visitors(error: AppError) -> AppError {
    match error {
        AppError::BadRequest(_) => AppError::Gone("That file no longer exists.".into()),
        AppError::Storage(detail) => {
            tracing::warn!(error = %detail, "storage failed behind a link");
            AppError::Storage(STORAGE_TROUBLE.into())
        }
        other => other,
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "public/password.html")]
struct PasswordPage {
    action: String,
    csrf: String,
    problem: Option<&'static str>,
}

fn password_page(
    link: &Link,
    token: &str,
    csrf: String,
    problem: Option<&'static str>,
) -> PasswordPage {
    PasswordPage {
        action: format!("{}/unlock", links::path(link.kind(), token)),
        csrf,
        problem,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
}

async fn unlock_download(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    unlock(
        &state,
        LinkKind::Download,
        &token,
        &session,
        csrf,
        &client,
        &form.password,
    )
    .await
}

async fn unlock_upload(
    State(state): State<AppState>,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    unlock(
        &state,
        LinkKind::Upload,
        &token,
        &session,
        csrf,
        &client,
        &form.password,
    )
    .await
}

/// The password form of either kind of link: right, back to the link; wrong,
/// the form again (and after too many, a page saying to wait).
async fn unlock(
    state: &AppState,
    kind: LinkKind,
    token: &str,
    session: &Session,
    csrf: String,
    client: &ClientInfo,
    password: &str,
) -> Result<Response> {
    let link = links::find(state, token, kind, client).await?;
    links::require_active(&link)?;
    if links::try_password(state, session, &link, client, password).await? {
        return Ok(Redirect::to(&links::path(kind, token)).into_response());
    }
    let page = password_page(
        &link,
        token,
        csrf,
        Some("That password is not right. Try again."),
    );
    Ok((StatusCode::FORBIDDEN, page).into_response())
}
