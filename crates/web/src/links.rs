//! Revocable links as their visitors meet them (DESIGN.md flows 10-11, S14):
//! finding a link from the token in its address, the password check with its
//! rate limit (remembered in the visitor's session), and the first-download
//! mail. Making and managing links is in the core (`bucketdesk_core::links`).

use crate::extract::ClientInfo;
use crate::{AppError, AppState, Result};
use bucketdesk_core::access::LinkGrant;
use bucketdesk_core::random_token::{looks_like_token, token_hash};
use bucketdesk_db::audit;
use bucketdesk_db::links::{self, Link, LinkKind};
use bucketdesk_domain::link::LinkState;
use bucketdesk_domain::object::file_name;
use bucketdesk_domain::{Email, WorkspaceId};
use bucketdesk_mail::LinkDownloadedMail;
use serde_json::json;
use std::time::Duration;
use tower_sessions::Session;
use uuid::Uuid;

/// Wrong passwords one client may type for one link in 15 minutes.
pub const PASSWORD_TRIES_PER_CLIENT: i64 = 10;
/// Wrong passwords a link accepts from everyone together in an hour.
pub const PASSWORD_TRIES_PER_LINK: i64 = 100;
/// The session key listing the links whose password this visitor gave.
const UNLOCKED: &str = "unlocked_links";

pub use bucketdesk_core::links::{describe, path};

/// What the public page calls a download link's contents: the file's name,
/// the folder's own name (not its path), or "3 files".
pub fn public_title(link: &Link) -> String {
    match (link.folder.as_deref(), link.keys.as_slice()) {
        (Some(""), _) => "Shared files".to_owned(),
        (Some(folder), _) => file_name(folder).to_owned(),
        (None, [key]) => file_name(key).to_owned(),
        (None, keys) => format!("{} files", keys.len()),
    }
}

/// The full address of a link, for copying; `None` when its token cannot be
/// opened (it was sealed before the instance key was rotated).
pub fn address(state: &AppState, link: &Link) -> Option<String> {
    let token = bucketdesk_core::links::token(&state.link_tokens, link)?;
    Some(state.settings.link(&path(link.kind(), &token)))
}

/// The link a visitor's token names. Unknown or malformed tokens get the
/// same "not found" page.
pub async fn find(state: &AppState, token: &str, kind: LinkKind) -> Result<Link> {
    if !looks_like_token(token) {
        return Err(AppError::NoSuchLink);
    }
    links::find_by_token_hash(&state.db, &token_hash(token), kind)
        .await?
        .ok_or(AppError::NoSuchLink)
}

/// Refuses a link that no longer works, with its reason (410).
pub fn require_active(link: &Link) -> Result<()> {
    match link.state() {
        LinkState::Active => Ok(()),
        other => Err(AppError::Gone(other.refusal().to_owned())),
    }
}

/// The bucket behind a link, reached through its creator's membership: none
/// when the bucket is gone or the creator lost their role.
pub async fn bucket_of(state: &AppState, link: &Link) -> Result<LinkGrant> {
    Ok(bucketdesk_core::access::through_link(&state.db, link).await?)
}

/// Has this visitor given the link's password (or does it have none)?
pub async fn is_unlocked(session: &Session, link: &Link) -> Result<bool> {
    if link.password_hash.is_none() {
        return Ok(true);
    }
    let unlocked: Vec<Uuid> = session.get(UNLOCKED).await?.unwrap_or_default();
    Ok(unlocked.contains(&link.id))
}

/// Password checks that may run at once: each takes about 19 MiB and a
/// core's worth of work, so a flood of guesses cannot exhaust the server.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Checks a password typed for a link. Right: the visitor's session may use
/// the link from now on. Wrong: counted; after too many wrong ones the
/// visitor is told to wait, without the password even being checked. Each
/// attempt counts as wrong from before it is checked, so guesses sent in
/// parallel cannot all slip under the limit.
pub async fn try_password(
    state: &AppState,
    session: &Session,
    link: &Link,
    client: &ClientInfo,
    password: &str,
) -> Result<bool> {
    let Some(hash) = link.password_hash.clone() else {
        return Ok(true);
    };
    let attempt = links::record_password_attempt(&state.db, link.id, client.ip_str()).await?;
    let (mine, everyone) =
        links::recent_password_failures(&state.db, link.id, client.ip_str(), attempt).await?;
    if mine > PASSWORD_TRIES_PER_CLIENT || everyone > PASSWORD_TRIES_PER_LINK {
        // not checked, so not counted: waiting is what ends the limit
        links::forget_password_attempt(&state.db, attempt).await?;
        // on record once per visitor and window, however long they hammer
        let workspace = WorkspaceId(link.workspace_id);
        let link_id = link.id.to_string();
        let window = Duration::from_secs(15 * 60);
        let about = Some(("link", link_id.as_str()));
        if !audit::recorded_since(
            &state.db,
            "link_password_limited",
            client.ip_str(),
            about,
            window,
        )
        .await?
        {
            let event = audit::NewEvent {
                workspace_id: Some(workspace),
                bucket_id: link.bucket(),
                details: json!({ "link": link.id, "whose": if mine > PASSWORD_TRIES_PER_CLIENT { "visitor" } else { "link" } }),
                ..client.anonymous_event("link_password_limited")
            };
            state.audit.record(event).await?;
        }
        return Err(AppError::TooMany(
            "Too many wrong passwords were typed for this link. Wait 15 minutes, then try again, \
             or ask the person who shared it for the password."
                .into(),
        ));
    }
    let matches = {
        let _slot = PASSWORD_CHECKS
            .acquire()
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        bucketdesk_core::links::password_matches(hash, password.to_owned()).await?
    };
    if matches {
        links::forget_password_attempt(&state.db, attempt).await?;
        let mut unlocked: Vec<Uuid> = session.get(UNLOCKED).await?.unwrap_or_default();
        if !unlocked.contains(&link.id) {
            unlocked.push(link.id);
            // a visitor who opens very many links keeps the latest ones
            if unlocked.len() > 50 {
                unlocked.remove(0);
            }
            session.insert(UNLOCKED, unlocked).await?;
        }
        Ok(true)
    } else {
        Ok(false)
    }
}

/// Mails the creator that their link was downloaded for the first time (they
/// asked for it when making the link). Sent off the request path.
pub fn notify_first_download(state: &AppState, link: &Link, client: &ClientInfo) {
    let Some(to) = link
        .creator_email
        .as_deref()
        .and_then(|email| Email::parse(email).ok())
    else {
        return;
    };
    let at = crate::pages::utc_minutes(time::OffsetDateTime::now_utc());
    let what = describe(link);
    let manage_link = state
        .settings
        .link(&format!("/w/{}/links/{}", link.workspace_id, link.id));
    let mail = LinkDownloadedMail {
        what: &what,
        bucket: &link.bucket_label,
        at: &at,
        ip: client.ip_str(),
        user_agent: client.user_agent.as_deref().unwrap_or("unknown"),
        manage_link: &manage_link,
    }
    .render(&to);
    let mail = match mail {
        Ok(mail) => mail,
        Err(error) => {
            tracing::error!(%error, "could not render the first-download mail");
            return;
        }
    };
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(mail).await {
            tracing::error!(%error, "could not send the first-download mail");
        }
    });
}
