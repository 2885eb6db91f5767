//! Instance administration: the people on this instance, and ending all of
//! someone's sessions. Instance admins only (`bucketdesk admin add`).

use crate::extract::{ClientInfo, CsrfToken, CurrentUser};
use crate::pages::utc_minutes;
use crate::{AppError, AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use bucketdesk_db::{audit, users};
use bucketdesk_domain::UserId;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new().route("/admin/users", get(show_users)).route(
        "/admin/users/{user}/sign-out-everywhere",
        post(sign_out_user_everywhere),
    )
}

fn require_admin(me: &CurrentUser) -> Result<()> {
    if me.user.is_admin {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Only instance admins can see this page.",
        ))
    }
}

struct UserRow {
    id: Uuid,
    email: String,
    is_admin: bool,
    created: String,
    last_sign_in: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
struct UsersPage {
    csrf: String,
    users: Vec<UserRow>,
    notice: Option<&'static str>,
    signed_in: bool,
}

#[derive(Deserialize, Default)]
struct Notice {
    #[serde(default)]
    done: Option<String>,
}

async fn show_users(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(q): Query<Notice>,
) -> Result<UsersPage> {
    require_admin(&me)?;
    let users = users::list(&state.db)
        .await?
        .into_iter()
        .map(|u| UserRow {
            id: u.id,
            is_admin: u.is_admin,
            created: utc_minutes(u.created_at),
            last_sign_in: u
                .last_sign_in_at
                .map(utc_minutes)
                .unwrap_or_else(|| "never".into()),
            email: u.email,
        })
        .collect();
    let notice = q
        .done
        .is_some()
        .then_some("Every session of that person has ended.");
    Ok(UsersPage {
        csrf,
        users,
        notice,
        signed_in: true,
    })
}

async fn sign_out_user_everywhere(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    Path(user): Path<Uuid>,
) -> Result<Redirect> {
    require_admin(&me)?;
    let target = users::find(&state.db, UserId(user))
        .await?
        .ok_or(AppError::NotFound)?;
    users::end_all_sessions(&state.db, target.user_id()).await?;
    let event = audit::NewEvent {
        details: json!({ "user_id": target.id, "email": target.email }),
        ..client.event(&me.user, "sign_out_everywhere")
    };
    audit::record(&state.db, event).await?;
    Ok(Redirect::to("/admin/users?done=1"))
}
