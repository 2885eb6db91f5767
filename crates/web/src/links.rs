//! Revocable links as their visitors meet them (DESIGN.md flows 10-11, S14):
//! finding a link from the token in its address, the password check with its
//! rate limit (remembered in the visitor's session), and the first-download
//! mail. Making and managing links is in the core (`bucketdesk_core::links`).

use crate::extract::ClientInfo;
use crate::{AppError, AppState, Result};
use bucketdesk_core::CoreError;
use bucketdesk_core::access::LinkGrant;
use bucketdesk_core::links::visit;
use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_domain::Email;
use bucketdesk_domain::object::file_name;
use bucketdesk_mail::LinkDownloadedMail;
use tower_sessions::Session;
use uuid::Uuid;

pub use bucketdesk_core::links::visit::{PASSWORD_TRIES_PER_CLIENT, PASSWORD_TRIES_PER_LINK};
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
pub async fn find(
    state: &AppState,
    token: &str,
    kind: LinkKind,
    client: &ClientInfo,
) -> Result<Link> {
    visit::find(&state.db, token, kind, &client.origin())
        .await
        .map_err(|error| match error {
            CoreError::NotFound => AppError::NoSuchLink,
            other => other.into(),
        })
}

/// Refuses a link that no longer works, with its reason (410).
pub fn require_active(link: &Link) -> Result<()> {
    Ok(visit::require_active(link)?)
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

/// Checks a password typed for a link (the rules and limits are the
/// core's). Right: the visitor's session may use the link from now on.
pub async fn try_password(
    state: &AppState,
    session: &Session,
    link: &Link,
    client: &ClientInfo,
    password: &str,
) -> Result<bool> {
    let tried =
        visit::try_password(&state.db, &state.audit, link, &client.origin(), password).await;
    let right = match tried {
        Ok(right) => right,
        Err(CoreError::TooMany { .. }) => {
            return Err(AppError::TooMany(
                "Too many wrong passwords were typed for this link. Wait 15 minutes, then try again, \
                 or ask the person who shared it for the password."
                    .into(),
            ));
        }
        Err(other) => return Err(other.into()),
    };
    if right && link.password_hash.is_some() {
        let mut unlocked: Vec<Uuid> = session.get(UNLOCKED).await?.unwrap_or_default();
        if !unlocked.contains(&link.id) {
            unlocked.push(link.id);
            // a visitor who opens very many links keeps the latest ones
            if unlocked.len() > 50 {
                unlocked.remove(0);
            }
            session.insert(UNLOCKED, unlocked).await?;
        }
    }
    Ok(right)
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
