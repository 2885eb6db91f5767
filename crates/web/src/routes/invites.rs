//! The invitation link: `/invites/{token}` shows the invitation and leads to
//! sign-in; accepting is a POST from the signed-in invitee.

use crate::extract::{ClientInfo, CsrfToken, MaybeUser};
use crate::pages::ErrorPage;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::invitations::{self, Accepted};
use bucketdesk_core::random_token::token_hash;
use bucketdesk_db::invites;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/invites/{token}", get(show_invite))
        .route("/invites/{token}/accept", post(accept_invite))
}

enum Viewer {
    Anonymous,
    Invited,
    Other(String),
}

#[derive(Template, WebTemplate)]
#[template(path = "invites/show.html")]
struct InvitePage {
    csrf: String,
    token: String,
    email: String,
    workspace: String,
    inviter: Option<String>,
    buckets: Vec<(String, String)>,
    viewer: Viewer,
    /// Sign-in with GitHub is set up: offer it too.
    github: bool,
    /// The single sign-on buttons: (provider's name, its name on the button).
    sso: Vec<(String, String)>,
    /// Whether email codes sign in here.
    codes: bool,
}

/// Why a link does not work, on a page of its own.
fn refused(outcome: &Accepted) -> Response {
    let (status, title, message) = match outcome {
        Accepted::NotFound => (
            StatusCode::NOT_FOUND,
            "This invitation link does not work",
            "The link is incomplete, or a newer invitation replaced it. Ask for the invitation to be sent again.".to_owned(),
        ),
        Accepted::Expired => (
            StatusCode::GONE,
            "This invitation has expired",
            "Invitations work for 7 days. Ask for it to be sent again.".to_owned(),
        ),
        Accepted::Used => (
            StatusCode::GONE,
            "This invitation was already used",
            "An invitation works once. If it was you, the workspace is on your home page.".to_owned(),
        ),
        Accepted::Cancelled => (
            StatusCode::GONE,
            "This invitation was cancelled",
            "Ask the person who invited you if you should still have access.".to_owned(),
        ),
        Accepted::Withdrawn => (
            StatusCode::GONE,
            "This invitation no longer grants anything",
            "The person who sent it no longer manages the buckets it offered. Ask someone who does to invite you again.".to_owned(),
        ),
        Accepted::OtherEmail { invited } => (
            StatusCode::FORBIDDEN,
            "This invitation is for someone else",
            format!("It is for {invited}. Sign out, then open the link again and sign in as {invited}."),
        ),
        Accepted::Joined { .. } => (StatusCode::OK, "Accepted", String::new()),
    };
    ErrorPage::response(status, title, &message)
}

async fn show_invite(
    State(state): State<AppState>,
    user: MaybeUser,
    CsrfToken(csrf): CsrfToken,
    Path(token): Path<String>,
) -> Result<Response> {
    let Some(invite) = invites::find_by_token_hash(&state.db, &token_hash(&token)).await? else {
        return Ok(refused(&Accepted::NotFound));
    };
    let problem = match () {
        _ if invite.cancelled_at.is_some() => Some(Accepted::Cancelled),
        _ if invite.accepted_at.is_some() => Some(Accepted::Used),
        _ if invite.expired => Some(Accepted::Expired),
        _ => None,
    };
    if let Some(problem) = problem {
        return Ok(refused(&problem));
    }
    // an anonymous visitor signs in through the page's forms, which come back here
    let viewer = match &user {
        None => Viewer::Anonymous,
        Some(me) if me.user.email == invite.email => Viewer::Invited,
        Some(me) => Viewer::Other(me.user.email.clone()),
    };
    let buckets = invites::buckets_of(&state.db, invite.id)
        .await?
        .into_iter()
        .map(|b| (b.place(), b.role().label().to_owned()))
        .collect();
    Ok(InvitePage {
        csrf,
        token,
        email: invite.email,
        workspace: invite.workspace_name,
        inviter: invite.invited_by_email,
        buckets,
        github: state.github.is_some(),
        sso: state
            .sso
            .iter()
            .map(|p| (p.settings.name.clone(), p.settings.display_name.clone()))
            .collect(),
        codes: !state.settings.sso_only,
        viewer,
    }
    .into_response())
}

async fn accept_invite(
    State(state): State<AppState>,
    user: MaybeUser,
    client: ClientInfo,
    Path(token): Path<String>,
) -> Result<Response> {
    let Some(me) = user else {
        return Err(AppError::Unauthorized);
    };
    match invitations::accept(&state.db, &me.actor(), &client.origin(), &token).await? {
        Accepted::Joined { workspace } => {
            Ok(Redirect::to(&format!("/w/{workspace}")).into_response())
        }
        other => Ok(refused(&other)),
    }
}
