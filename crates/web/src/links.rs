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

/// May this visitor use the link: have they proved an address it is for
/// (when it names any) and given its password (when it has one)?
pub async fn is_unlocked(session: &Session, link: &Link) -> Result<bool> {
    if visit::needs_recipient(link) && recipient(session, link).await?.is_none() {
        return Ok(false);
    }
    has_password(session, link).await
}

/// Has this visitor given the link's password (or does it have none)?
pub async fn has_password(session: &Session, link: &Link) -> Result<bool> {
    if link.password_hash.is_none() {
        return Ok(true);
    }
    let unlocked: Vec<Uuid> = session.get(UNLOCKED).await?.unwrap_or_default();
    Ok(unlocked.contains(&link.id))
}

/// The session key: the addresses this visitor proved, by link.
const RECIPIENTS: &str = "link_recipients";
/// The session key: the code this visitor asked for, by link, and its address.
const RECIPIENT_CODES: &str = "link_recipient_codes";

/// The address this visitor proved for the link (one the link is still for).
pub async fn recipient(session: &Session, link: &Link) -> Result<Option<String>> {
    if !visit::needs_recipient(link) {
        return Ok(None);
    }
    let proved: Vec<(Uuid, String)> = session.get(RECIPIENTS).await?.unwrap_or_default();
    Ok(proved
        .into_iter()
        .find(|(id, email)| *id == link.id && visit::is_for(link, email))
        .map(|(_, email)| email))
}

/// Where a visit comes from: the client, and the address it proved for the
/// link (so the visit names who).
pub async fn visit_origin(
    session: &Session,
    link: &Link,
    client: &ClientInfo,
) -> Result<bucketdesk_core::Origin> {
    Ok(client
        .origin()
        .with_visitor(recipient(session, link).await?))
}

/// The address a code was asked for in this browser, for the link.
pub async fn recipient_asked(session: &Session, link: &Link) -> Result<Option<String>> {
    let asked: Vec<(Uuid, Uuid, String)> = session.get(RECIPIENT_CODES).await?.unwrap_or_default();
    Ok(asked
        .into_iter()
        .find(|(id, _, _)| *id == link.id)
        .map(|(_, _, email)| email))
}

/// A visitor asks for a code to prove `email` (the core's rules and
/// limits); `Err` with what to tell them when they asked too often.
pub async fn ask_recipient_code(
    state: &AppState,
    session: &Session,
    link: &Link,
    client: &ClientInfo,
    email: &Email,
) -> Result<std::result::Result<(), &'static str>> {
    use bucketdesk_core::sign_in::RequestOutcome;
    let outcome = visit::ask_recipient_code(
        &state.db,
        state.sign_in_rules(),
        link,
        email,
        &client.origin(),
    )
    .await?;
    let code_id = match outcome {
        RequestOutcome::Sent { code_id, mail, .. } => {
            if let Some(mail) = mail {
                crate::code_mail::send(state, mail);
            }
            code_id
        }
        RequestOutcome::TooManyForEmail | RequestOutcome::TooManyForEmailEverywhere => {
            return Ok(Err(
                "Several codes were sent to this address recently. Use the newest one, or wait 15 minutes and ask again.",
            ));
        }
        RequestOutcome::TooManyForIp => {
            return Ok(Err(
                "Too many codes were asked for from your network. Wait 15 minutes, then try again.",
            ));
        }
        RequestOutcome::CodesOff => return Ok(Err("Codes cannot be sent here.")),
    };
    let mut asked: Vec<(Uuid, Uuid, String)> =
        session.get(RECIPIENT_CODES).await?.unwrap_or_default();
    asked.retain(|(id, _, _)| *id != link.id);
    asked.push((link.id, code_id, email.to_string()));
    if asked.len() > 20 {
        asked.remove(0);
    }
    session.insert(RECIPIENT_CODES, asked).await?;
    Ok(Ok(()))
}

/// Checks the code a visitor typed; right: the session holds their address
/// for the link from now on. `Err` with what to tell them otherwise.
pub async fn check_recipient_code(
    state: &AppState,
    session: &Session,
    link: &Link,
    client: &ClientInfo,
    typed: &str,
) -> Result<std::result::Result<(), String>> {
    use bucketdesk_core::sign_in::VerifyOutcome;
    let asked: Vec<(Uuid, Uuid, String)> = session.get(RECIPIENT_CODES).await?.unwrap_or_default();
    let Some((_, code_id, email)) = asked.into_iter().find(|(id, _, _)| *id == link.id) else {
        return Ok(Err("Ask for a code first.".into()));
    };
    let Ok(code) = bucketdesk_domain::login::LoginCode::parse(typed) else {
        return Ok(Err("A code is the 6 digits from the mail.".into()));
    };
    let email = Email::parse(&email).map_err(|e| AppError::Internal(e.to_string()))?;
    let outcome = visit::check_recipient_code(
        &state.db,
        state.sign_in_rules(),
        link,
        code_id,
        email,
        &code,
        &client.origin(),
    )
    .await?;
    Ok(match outcome {
        VerifyOutcome::AddressVerified { email } => {
            let mut proved: Vec<(Uuid, String)> =
                session.get(RECIPIENTS).await?.unwrap_or_default();
            proved.retain(|(id, _)| *id != link.id);
            proved.push((link.id, email.to_string()));
            if proved.len() > 50 {
                proved.remove(0);
            }
            session.insert(RECIPIENTS, proved).await?;
            Ok(())
        }
        other => Err(crate::routes::sign_in::refusal(&other).1),
    })
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

/// Where mails about a link go: its creator's address (none once the
/// account is gone).
pub fn creator_address(link: &Link) -> Option<Email> {
    link.creator_email
        .as_deref()
        .and_then(|email| Email::parse(email).ok())
}

/// Mails the creator that their link was downloaded for the first time (they
/// asked for it when making the link). Sent off the request path.
pub fn notify_first_download(state: &AppState, link: &Link, client: &ClientInfo) {
    let Some(to) = creator_address(link) else {
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
