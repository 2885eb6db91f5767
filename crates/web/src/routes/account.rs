//! The signed-in person's own page, and signing out (here or everywhere).

use crate::extract::{ClientInfo, CsrfToken, CurrentUser};
use crate::pages::{device, utc_minutes};
use crate::{AppState, Result, session};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Redirect;
use axum::routing::{get, post};
use bucketdesk_core::sessions;
use bucketdesk_db::audit;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(show_home))
        .route("/logout", post(sign_out))
        .route("/logout/everywhere", post(sign_out_everywhere))
}

/// One of my workspaces, on the home page.
struct WorkspaceRow {
    id: uuid::Uuid,
    name: String,
    role: &'static str,
    /// The workspace asks for a second factor this sign-in lacks.
    needs_second_factor: bool,
    /// (bucket id, name, my role)
    buckets: Vec<(uuid::Uuid, String, &'static str)>,
}

/// One signed-in session of mine, on the home page (S18).
struct SessionRow {
    id: uuid::Uuid,
    device: String,
    ip: String,
    how: &'static str,
    signed_in: String,
    last_seen: String,
    /// The session of this very browser.
    current: bool,
}

/// One line of "recent activity" on the home page.
struct Activity {
    when: String,
    what: String,
    from: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
struct HomePage {
    csrf: String,
    workspaces: Vec<WorkspaceRow>,
    /// `BUCKETDESK_WORKSPACE_CREATORS` lets this person create workspaces.
    can_create_workspace: bool,
    email: String,
    is_admin: bool,
    member_since: String,
    signed_in_at: String,
    activity: Vec<Activity>,
    sessions: Vec<SessionRow>,
    /// Sign-in with GitHub is set up on this instance.
    github_enabled: bool,
    /// The linked GitHub login, if any.
    github_login: Option<String>,
    /// The single sign-on identities tied to the account: (provider, address).
    sso_links: Vec<(String, String)>,
    /// The providers not linked yet: (name, words for them).
    sso_linkable: Vec<(String, String)>,
    /// The account has an authenticator app.
    second_factor: bool,
    notice: Option<&'static str>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

async fn show_home(
    State(state): State<AppState>,
    me: CurrentUser,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<DoneQuery>,
) -> Result<HomePage> {
    let mut workspaces = Vec::new();
    // every workspace's buckets in one query, not one per workspace
    let mut buckets_of: HashMap<Uuid, Vec<_>> = HashMap::new();
    for b in bucketdesk_db::buckets::list_everywhere_for_user(&state.db, me.user.user_id()).await? {
        buckets_of.entry(b.bucket.workspace_id).or_default().push((
            b.bucket.id,
            b.bucket.display_name.clone(),
            b.role().label(),
        ));
    }
    for w in bucketdesk_db::workspaces::list_for_user(&state.db, me.user.user_id()).await? {
        let buckets = buckets_of.remove(&w.id).unwrap_or_default();
        workspaces.push(WorkspaceRow {
            needs_second_factor: me
                .actor()
                .require_second_factor(
                    w.require_second_factor || state.settings.require_second_factor,
                )
                .is_err(),
            id: w.id,
            role: w.role().label(),
            name: w.name.clone(),
            buckets,
        });
    }
    let events = audit::recent_for_person(&state.db, me.user.user_id(), &me.user.email, 10).await?;
    let activity = events
        .into_iter()
        .map(|e| Activity {
            when: utc_minutes(e.occurred_at),
            what: crate::actions::sentence(&e.action, &e.details),
            from: [
                e.ip.unwrap_or_default(),
                e.user_agent.as_deref().map(device).unwrap_or_default(),
            ]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · "),
        })
        .collect();
    let lifetimes = state.settings.session_lifetimes();
    let sessions = sessions::list(&state.db, &me.actor(), lifetimes)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == me.signed_in.id,
            id: s.id,
            device: s
                .user_agent
                .as_deref()
                .map_or_else(|| "An unknown browser".into(), device),
            ip: s.ip.unwrap_or_default(),
            how: match s.method.as_str() {
                "github" => "GitHub",
                "sso" => "single sign-on",
                "passkey" => "a passkey",
                "email_link" => "the link in a code email",
                _ => "an email code",
            },
            signed_in: utc_minutes(s.signed_in_at),
            last_seen: utc_minutes(s.last_seen_at),
        })
        .collect();
    let links = bucketdesk_core::sign_in::sso_links(&state.db, &me.actor()).await?;
    let signed_in_at = OffsetDateTime::from_unix_timestamp(me.signed_in.signed_in_at)
        .map(utc_minutes)
        .unwrap_or_default();
    Ok(HomePage {
        csrf,
        workspaces,
        can_create_workspace: bucketdesk_core::workspaces::may_create(
            &me.actor(),
            state.settings.workspace_creators,
        )
        .is_ok(),
        email: me.user.email.clone(),
        is_admin: me.user.is_admin,
        member_since: utc_minutes(me.user.created_at),
        signed_in_at,
        activity,
        sessions,
        github_enabled: state.github.is_some(),
        github_login: me.user.github_login.clone(),
        second_factor: me.user.second_factor,
        sso_linkable: state
            .sso
            .iter()
            .filter(|p| !links.iter().any(|link| link.provider == p.settings.name))
            .map(|p| (p.settings.name.clone(), p.settings.display_name.clone()))
            .collect(),
        sso_links: links
            .into_iter()
            .map(|link| {
                let provider = super::sso::provider(&state, &link.provider)
                    .map_or(link.provider, |p| p.settings.display_name.clone());
                (provider, link.email)
            })
            .collect(),
        notice: match query.done.as_str() {
            "github_linked" => Some("GitHub is linked: you can sign in with it from now on."),
            "sso_linked" => Some("Single sign-on is linked: you can sign in with it from now on."),
            "github_unlinked" => {
                Some("GitHub is unlinked. Sign in with an email code from now on.")
            }
            "session_ended" => {
                Some("That session has ended: its next click goes to the sign-in page.")
            }
            _ => None,
        },
    })
}

async fn sign_out(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
) -> Result<Redirect> {
    let (actor, origin) = (me.actor(), client.origin());
    // a single sign-on session: the sign-in page offers to sign out there too
    let name: Option<String> = me.session.get(super::sso::SIGNED_IN_WITH).await?;
    let id_token: Option<String> = me.session.get(super::sso::ID_TOKEN).await?;
    let mut sign_out_there = None;
    if let Some(provider) = name.and_then(|name| super::sso::provider(&state, &name))
        && let Some(url) = provider
            .end_session_url(
                &state.settings.link("/login?signed_out=1"),
                id_token.as_deref(),
            )
            .await
    {
        sign_out_there = Some((provider.settings.display_name.clone(), url.to_string()));
    }
    session::sign_out(
        &state.db,
        &actor,
        &origin,
        &me.session,
        &me.signed_in,
        &state.settings,
    )
    .await?;
    // (a new session, signed out, carries it to the sign-in page)
    if let Some(there) = sign_out_there {
        me.session.insert(super::sso::SIGN_OUT_THERE, there).await?;
    }
    Ok(Redirect::to("/login?signed_out=1"))
}

async fn sign_out_everywhere(
    State(state): State<AppState>,
    me: CurrentUser,
    client: ClientInfo,
) -> Result<Redirect> {
    let (actor, origin) = (me.actor(), client.origin());
    sessions::sign_out_everywhere(&state.db, &actor, &origin).await?;
    session::discard(&me.session).await?;
    Ok(Redirect::to("/login?signed_out=1"))
}
