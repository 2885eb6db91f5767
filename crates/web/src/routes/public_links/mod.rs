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
use axum::extract::{MatchedPath, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_db::links::{Link, LinkKind};
use serde::Deserialize;
use tower_sessions::Session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/s/{token}", get(download::show_download_link))
        .route("/s/{token}/unlock", post(unlock))
        .route("/s/{token}/recipient", post(ask_code))
        .route("/s/{token}/recipient/code", post(enter_code))
        .route("/u/{token}", get(upload::show_upload_link))
        .route("/u/{token}/unlock", post(unlock))
        .route("/u/{token}/recipient", post(ask_code))
        .route("/u/{token}/recipient/code", post(enter_code))
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

/// Which kind of link a route serves: `/u/…` upload links, `/s/…` download
/// links (the handlers of the password and address steps serve both).
fn kind_of(route: &MatchedPath) -> LinkKind {
    if route.as_str().starts_with("/u/") {
        LinkKind::Upload
    } else {
        LinkKind::Download
    }
}

/// What a visitor sees before the link opens: the address step when the
/// link names recipients and this visitor has proved none, else the
/// password step.
async fn locked_page(
    session: &Session,
    link: &Link,
    token: &str,
    csrf: String,
) -> Result<Response> {
    if bucketdesk_core::links::visit::needs_recipient(link)
        && links::recipient(session, link).await?.is_none()
    {
        let asked = links::recipient_asked(session, link).await?;
        return Ok(recipient_page(link, token, csrf, asked, None).into_response());
    }
    Ok(password_page(link, token, csrf, None).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "public/recipient.html")]
struct RecipientPage {
    base: String,
    csrf: String,
    /// The address a code was asked for (the code step), or none (the
    /// address step).
    asked: Option<String>,
    problem: Option<String>,
}

fn recipient_page(
    link: &Link,
    token: &str,
    csrf: String,
    asked: Option<String>,
    problem: Option<String>,
) -> RecipientPage {
    RecipientPage {
        base: links::path(link.kind(), token),
        csrf,
        asked,
        problem,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RecipientForm {
    email: String,
    code: String,
}

/// The address step: a code is asked for whatever the address, and mailed
/// only to one the link is for; the answer is the same either way.
async fn ask_code(
    State(state): State<AppState>,
    route: MatchedPath,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<RecipientForm>,
) -> Result<Response> {
    let kind = kind_of(&route);
    let link = links::find(&state, &token, kind, &client).await?;
    links::require_active(&link)?;
    let email = match bucketdesk_domain::Email::parse(&form.email) {
        Ok(email) => email,
        Err(e) => {
            let page = recipient_page(&link, &token, csrf, None, Some(e.to_string()));
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match links::ask_recipient_code(&state, &session, &link, &client, &email).await? {
        Ok(()) => Ok(Redirect::to(&links::path(kind, &token)).into_response()),
        Err(problem) => {
            let page = recipient_page(&link, &token, csrf, None, Some(problem.to_owned()));
            Ok((StatusCode::TOO_MANY_REQUESTS, page).into_response())
        }
    }
}

/// The code step: right, the link opens for this browser.
async fn enter_code(
    State(state): State<AppState>,
    route: MatchedPath,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<RecipientForm>,
) -> Result<Response> {
    let kind = kind_of(&route);
    let link = links::find(&state, &token, kind, &client).await?;
    links::require_active(&link)?;
    match links::check_recipient_code(&state, &session, &link, &client, &form.code).await? {
        Ok(()) => Ok(Redirect::to(&links::path(kind, &token)).into_response()),
        Err(problem) => {
            let asked = links::recipient_asked(&session, &link).await?;
            let page = recipient_page(&link, &token, csrf, asked, Some(problem));
            Ok((StatusCode::FORBIDDEN, page).into_response())
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    password: String,
}

/// The password form of either kind of link: right, back to the link; wrong,
/// the form again (and after too many, a page saying to wait).
async fn unlock(
    State(state): State<AppState>,
    route: MatchedPath,
    Path(token): Path<String>,
    session: Session,
    CsrfToken(csrf): CsrfToken,
    client: ClientInfo,
    Form(form): Form<PasswordForm>,
) -> Result<Response> {
    let kind = kind_of(&route);
    let link = links::find(&state, &token, kind, &client).await?;
    links::require_active(&link)?;
    if links::try_password(&state, &session, &link, &client, &form.password).await? {
        return Ok(Redirect::to(&links::path(kind, &token)).into_response());
    }
    let page = password_page(
        &link,
        &token,
        csrf,
        Some("That password is not right. Try again."),
    );
    Ok((StatusCode::FORBIDDEN, page).into_response())
}
