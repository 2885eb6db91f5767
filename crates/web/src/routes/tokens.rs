//! Personal access tokens on the account page: make one (shown once),
//! see where each was last used, revoke one. The rules are the core's
//! (`bucketdesk_core::tokens`); this page only asks and shows.

use crate::extract::{ClientInfo, CsrfToken, CurrentUser};
use crate::pages::utc_minutes;
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, RawForm, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::tokens::{self, AccessToken, TokenRequest};
use bucketdesk_core::{Actor, CoreError};
use bucketdesk_domain::{Scope, Scopes};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account/tokens", get(show_tokens).post(create_token))
        .route("/account/tokens/{access_token}/revoke", post(revoke_token))
}

/// The lifetimes offered, in days; 90 is the default.
const LIFETIMES: [(u64, &str); 5] = [
    (7, "7 days"),
    (30, "30 days"),
    (90, "90 days"),
    (180, "180 days"),
    (366, "1 year"),
];

struct TokenRow {
    id: Uuid,
    name: String,
    prefix: String,
    scopes: String,
    created: String,
    expires: String,
    last_used: String,
    /// "", "revoked" or "expired".
    ended: &'static str,
}

#[derive(Template, WebTemplate)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    csrf: String,
    tokens: Vec<TokenRow>,
    /// A token just made: its text, shown this once.
    created: Option<(String, String)>,
    notice: Option<&'static str>,
    /// The form as sent, when it comes back with problems.
    name: String,
    chosen: Vec<&'static str>,
    days: u64,
    errors: BTreeMap<&'static str, String>,
    lifetimes: [(u64, &'static str); 5],
    scopes: Vec<(&'static str, &'static str)>,
    origin: String,
}

impl TokensPage {
    async fn of(state: &AppState, actor: &Actor, csrf: String) -> Result<TokensPage> {
        let now = OffsetDateTime::now_utc();
        let tokens = tokens::list(&state.db, actor)
            .await?
            .into_iter()
            .map(|token| row(token, now))
            .collect();
        Ok(TokensPage {
            csrf,
            tokens,
            created: None,
            notice: None,
            name: String::new(),
            chosen: vec!["read", "share"],
            days: 90,
            errors: BTreeMap::new(),
            lifetimes: LIFETIMES,
            scopes: Scope::ALL
                .iter()
                .map(|s| (s.as_str(), s.describe()))
                .collect(),
            origin: state.settings.origin(),
        })
    }
}

fn row(token: AccessToken, now: OffsetDateTime) -> TokenRow {
    let ended = if token.revoked_at.is_some() {
        "revoked"
    } else if token.expires_at <= now {
        "expired"
    } else {
        ""
    };
    TokenRow {
        id: token.id,
        name: token.name,
        prefix: token.prefix,
        scopes: token.scopes.join(", "),
        created: utc_minutes(token.created_at),
        expires: utc_minutes(token.expires_at),
        last_used: match (token.last_used_at, token.last_used_ip) {
            (Some(at), Some(ip)) => format!("{} from {ip}", utc_minutes(at)),
            (Some(at), None) => utc_minutes(at),
            _ => "never".into(),
        },
        ended,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

async fn show_tokens(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<DoneQuery>,
) -> Result<TokensPage> {
    let mut page = TokensPage::of(&state, &me.actor(), csrf).await?;
    page.notice =
        (query.done == "revoked").then_some("The token was revoked: its next call is refused.");
    Ok(page)
}

async fn create_token(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    RawForm(body): RawForm,
) -> Result<Response> {
    // scopes come as repeated checkboxes
    let (mut name, mut chosen, mut days) = (String::new(), Vec::new(), String::new());
    for (field, value) in url::form_urlencoded::parse(&body) {
        match field.as_ref() {
            "name" => name = value.into_owned(),
            "scopes" => chosen.push(value.into_owned()),
            "days" => days = value.into_owned(),
            _ => {}
        }
    }
    let actor = me.actor();
    let days: u64 = days.trim().parse().unwrap_or(0);
    let scopes = Scopes::parse(chosen.iter().map(String::as_str)).unwrap_or_default();
    let made = tokens::create(
        &state.db,
        &actor,
        &client.origin(),
        TokenRequest {
            name: &name,
            scopes,
            lifetime: Some(Duration::from_secs(days * 24 * 60 * 60)),
        },
    )
    .await;
    let mut page = TokensPage::of(&state, &actor, csrf).await?;
    match made {
        Ok(made) => {
            page.created = Some((made.token.name, made.secret));
        }
        Err(CoreError::Invalid(problems)) => {
            page.name = name;
            page.chosen = scopes.iter().map(Scope::as_str).collect();
            page.days = days;
            page.errors = problems.into_iter().map(|p| (p.field, p.message)).collect();
            return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
        Err(other) => return Err(other.into()),
    }
    Ok(page.into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
    Path(id): Path<Uuid>,
) -> Result<Redirect> {
    tokens::revoke(&state.db, &me.actor(), &client.origin(), id).await?;
    Ok(Redirect::to("/account/tokens?done=revoked"))
}
