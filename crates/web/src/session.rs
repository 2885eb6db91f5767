//! What bucketdesk keeps in a browser's session, typed. Sessions live in
//! Postgres (tower-sessions), under a hash of their id (`session_store`);
//! the cookie holds only the random id.

use crate::Settings;
use bucketdesk_core::{Actor, Origin, sessions};
use bucketdesk_db::users::User;
use bucketdesk_domain::UserId;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};
use uuid::Uuid;

pub use crate::session_store::HashedIdStore as SessionStore;

/// Cookie name over plain http (local use).
pub const COOKIE: &str = "bucketdesk_session";
/// Cookie name over https: the `__Host-` prefix makes browsers insist on
/// Secure, Path=/ and no Domain, so no subdomain can plant or read it.
pub const SECURE_COOKIE: &str = "__Host-bucketdesk_session";

const SIGNED_IN: &str = "signed_in";
const PENDING_LOGIN: &str = "pending_login";
const SECOND_STEP: &str = "second_step";

/// How stale `seen_at` may get before a request refreshes it (and with it the
/// idle expiry). Refreshing on every request would write to Postgres on every
/// page view; once a minute is precise enough for a 30-minute idle timeout.
const SEEN_REFRESH_SECS: i64 = 60;

pub fn layer(store: SessionStore, settings: &Settings) -> SessionManagerLayer<SessionStore> {
    let secure = settings.secure_cookies();
    SessionManagerLayer::new(store)
        .with_name(if secure { SECURE_COOKIE } else { COOKIE })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            time::Duration::try_from(settings.session_idle).unwrap_or(time::Duration::minutes(30)),
        ))
}

/// Creates the session table (schema `tower_sessions`) if it is missing.
pub async fn migrate(store: &SessionStore) -> sqlx::Result<()> {
    store.migrate().await
}

/// A signed-in browser.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignedIn {
    /// Names this signed-in session; listed in `ended_sessions` at sign-out.
    pub id: Uuid,
    pub user_id: UserId,
    /// The user's session epoch at sign-in; "sign out everywhere" moves it on.
    pub epoch: i32,
    pub signed_in_at: i64,
    pub seen_at: i64,
    /// When the person last proved it was them again with a fresh code
    /// (S18: needed before changing how they sign in).
    #[serde(default)]
    pub reauthenticated_at: Option<i64>,
    /// The sign-in passed a second factor or single sign-on.
    #[serde(default)]
    pub strong: bool,
}

/// How long a fresh proof of identity lets someone change how they sign in.
pub const REAUTHENTICATION_LIFETIME_SECS: i64 = 10 * 60;

impl SignedIn {
    /// Whether the person proved it was them within the last ten minutes.
    pub fn freshly_reauthenticated(&self) -> bool {
        self.reauthenticated_at
            .is_some_and(|at| now() - at < REAUTHENTICATION_LIFETIME_SECS)
    }
}

/// A browser that asked for a code and may now enter it (S4: the code works
/// only in the session that asked for it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub code_id: Uuid,
    pub email: String,
    /// Where to go once signed in (a path on this site, see [`local_path`]).
    #[serde(default)]
    pub next: Option<String>,
    /// Codes typed in this browser do not work for the address now (a
    /// lockout): the code page points to the mail's link instead.
    #[serde(default)]
    pub link_only: bool,
}

/// A browser whose person passed the first factor (an email code or
/// GitHub) of an account with a second factor, and must now type it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SecondStep {
    pub user_id: UserId,
    /// How the first factor was passed (`email_code`, `email_link`, `github`).
    pub method: String,
    pub next: Option<String>,
    /// When the first factor was passed: the second step must follow
    /// within [`SECOND_STEP_LIFETIME_SECS`].
    pub at: i64,
}

/// How long a passed first factor waits for the second.
pub const SECOND_STEP_LIFETIME_SECS: i64 = 10 * 60;

/// `path` when it is a path on this site (`/invites/…`, `/w/…?path=x`), so
/// "come back here after signing in" can never send anyone elsewhere: it
/// starts with one `/`, has no backslash (browsers read `/\evil` as
/// `//evil`) and no control characters.
pub fn local_path(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && path.len() <= 2000
        && !path.chars().any(char::is_control);
    ok.then(|| path.to_owned())
}

pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

pub async fn signed_in(
    session: &Session,
) -> Result<Option<SignedIn>, tower_sessions::session::Error> {
    session.get(SIGNED_IN).await
}

/// Marks the session as seen now, when the last mark is stale: in the
/// session (its idle expiry) and in the owner's list of sessions.
pub async fn touch(
    db: &bucketdesk_db::PgPool,
    session: &Session,
    state: &SignedIn,
) -> Result<(), crate::AppError> {
    if now() - state.seen_at >= SEEN_REFRESH_SECS {
        let seen = SignedIn {
            seen_at: now(),
            ..state.clone()
        };
        session.insert(SIGNED_IN, seen).await?;
        sessions::seen(db, state.id).await?;
    }
    Ok(())
}

/// Signs the browser in: a new session id (so an id planted or seen before
/// sign-in is worthless, S6) and the user, and lists the sign-in among the
/// user's sessions. CSRF tokens are bound to the sign-in, so those of pages
/// shown before stop working. `method`: `email_code`, `email_link`, `github`,
/// `sso`; `strong`: it passed a second factor or single sign-on.
pub async fn sign_in(
    db: &bucketdesk_db::PgPool,
    session: &Session,
    user: &User,
    origin: &Origin,
    method: &str,
    strong: bool,
) -> Result<(), crate::AppError> {
    let id = sessions::start(db, user, origin, method).await?;
    session.cycle_id().await?;
    session.remove_value(PENDING_LOGIN).await?;
    session.remove_value(SECOND_STEP).await?;
    let at = now();
    let signed_in = SignedIn {
        id,
        user_id: user.user_id(),
        epoch: user.session_epoch,
        signed_in_at: at,
        seen_at: at,
        reauthenticated_at: None,
        strong,
    };
    session.insert(SIGNED_IN, signed_in).await?;
    Ok(())
}

/// Records that the person just proved it was them again (S18).
pub async fn mark_reauthenticated(
    db: &bucketdesk_db::PgPool,
    session: &Session,
    state: &SignedIn,
) -> Result<(), crate::AppError> {
    let fresh = SignedIn {
        reauthenticated_at: Some(now()),
        ..state.clone()
    };
    session.insert(SIGNED_IN, fresh).await?;
    sessions::reauthenticated(db, state.id).await?;
    Ok(())
}

/// Forgets the session: its row is deleted and the cookie removed. Enough
/// for a session that is invalid anyway (expired, or of an ended epoch).
pub async fn discard(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.flush().await
}

/// Signs the session out for good: the core lists it as ended (a request
/// that loaded it a moment before could otherwise save it back) and records
/// it, then it is discarded.
pub async fn sign_out(
    db: &bucketdesk_db::PgPool,
    actor: &Actor,
    origin: &Origin,
    session: &Session,
    signed_in: &SignedIn,
    settings: &Settings,
) -> Result<(), crate::AppError> {
    let signed_in_at = OffsetDateTime::from_unix_timestamp(signed_in.signed_in_at)
        .unwrap_or_else(|_| OffsetDateTime::now_utc());
    let lifetimes = settings.session_lifetimes();
    sessions::sign_out(db, actor, origin, signed_in.id, signed_in_at, lifetimes).await?;
    discard(session).await?;
    Ok(())
}

/// Asks the browser for the account's second factor next (the first one
/// was passed): a new session id, and nobody signed in yet.
pub async fn start_second_step(
    session: &Session,
    step: SecondStep,
) -> Result<(), tower_sessions::session::Error> {
    session.cycle_id().await?;
    session.remove_value(PENDING_LOGIN).await?;
    session.insert(SECOND_STEP, step).await
}

/// The second step waiting in this browser, while it is young enough.
pub async fn second_step(
    session: &Session,
) -> Result<Option<SecondStep>, tower_sessions::session::Error> {
    let step: Option<SecondStep> = session.get(SECOND_STEP).await?;
    Ok(step.filter(|step| now() - step.at < SECOND_STEP_LIFETIME_SECS))
}

pub async fn clear_second_step(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.remove_value(SECOND_STEP).await.map(|_| ())
}

pub async fn pending_login(
    session: &Session,
) -> Result<Option<PendingLogin>, tower_sessions::session::Error> {
    session.get(PENDING_LOGIN).await
}

pub async fn set_pending_login(
    session: &Session,
    pending: PendingLogin,
) -> Result<(), tower_sessions::session::Error> {
    session.insert(PENDING_LOGIN, pending).await
}

pub async fn clear_pending_login(session: &Session) -> Result<(), tower_sessions::session::Error> {
    session.remove_value(PENDING_LOGIN).await.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_on_this_site_are_kept_for_after_sign_in() {
        assert_eq!(local_path("/invites/abc").as_deref(), Some("/invites/abc"));
        assert_eq!(
            local_path("/w/1/b/2?path=a%2Fb").as_deref(),
            Some("/w/1/b/2?path=a%2Fb")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "/a\r\nSet-Cookie: x",
            "",
        ] {
            assert_eq!(local_path(bad), None, "{bad:?}");
        }
    }
}
