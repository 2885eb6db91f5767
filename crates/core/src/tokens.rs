//! Personal access tokens: how scripts and the command-line client act for
//! a person. A token is `bdk_` and 43 characters (256 random bits); only its
//! SHA-256 is stored, with its first eight characters to recognise it by
//! (in a list, a log, or a secret scanner's report). It acts with its
//! owner's current roles, never more, and only within its scopes; a
//! disabled account's tokens stop at once.

use crate::CoreError;
use crate::actor::{Actor, Origin, Via};
use crate::random_token::{self, new_token, token_hash};
use bucketdesk_db::{PgPool, audit, tokens};
use bucketdesk_domain::Scopes;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

pub use bucketdesk_db::tokens::AccessToken;

/// What every token starts with.
pub const PREFIX: &str = "bdk_";
/// The lifetime of a new token unless another is asked for.
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(90 * 24 * 60 * 60);
/// The longest a token may live.
pub const MAX_LIFETIME: Duration = Duration::from_secs(366 * 24 * 60 * 60);
/// How many characters of a token are kept to recognise it by.
const SHOWN: usize = 8;
/// The longest name a token may have.
const MAX_NAME: usize = 100;

/// What a new token is asked for with.
pub struct TokenRequest<'a> {
    pub name: &'a str,
    pub scopes: Scopes,
    /// None: [`DEFAULT_LIFETIME`].
    pub lifetime: Option<Duration>,
}

/// A token just made: its text, shown once, and its row.
pub struct NewToken {
    pub secret: String,
    pub token: AccessToken,
}

/// Makes a token for the actor. Only a person in a browser session makes
/// tokens: a token cannot make another.
pub async fn create(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    request: TokenRequest<'_>,
) -> Result<NewToken, CoreError> {
    actor.require_session()?;
    let name = request.name.trim();
    let mut problems = Vec::new();
    if name.is_empty() {
        problems.push(field(
            "name",
            "required",
            "Give the token a name, such as the script or machine that uses it.",
        ));
    } else if name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        problems.push(field(
            "name",
            "invalid",
            format!("A name is at most {MAX_NAME} characters, on one line."),
        ));
    }
    if request.scopes.is_empty() {
        problems.push(field("scopes", "required", "Choose at least one scope."));
    }
    let lifetime = request.lifetime.unwrap_or(DEFAULT_LIFETIME);
    if lifetime.is_zero() || lifetime > MAX_LIFETIME {
        problems.push(field(
            "expires_in_days",
            "out_of_range",
            "A token lives from 1 to 366 days.",
        ));
    }
    if !problems.is_empty() {
        return Err(CoreError::Invalid(problems));
    }
    let secret = new_secret();
    let hash = token_hash(&secret);
    let scopes = request.scopes.names();
    let mut tx = db.begin().await?;
    let token = tokens::create(
        &mut *tx,
        &tokens::NewToken {
            id: Uuid::new_v4(),
            user: actor.user.user_id(),
            name,
            hash: &hash,
            prefix: &secret[..SHOWN],
            scopes: &scopes,
            expires_at: OffsetDateTime::now_utc() + lifetime,
            strong: actor.strong(),
        },
    )
    .await?;
    audit::record(
        &mut *tx,
        actor.event(
            origin,
            "token_created",
            json!({ "token": token.name, "prefix": token.prefix, "scopes": scopes, "expires_at": token.expires_at.unix_timestamp() }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(NewToken { secret, token })
}

/// The actor's tokens: those in use, and those revoked or expired in the last 30 days.
pub async fn list(db: &PgPool, actor: &Actor) -> Result<Vec<AccessToken>, CoreError> {
    Ok(tokens::of_user(db, actor.user.user_id()).await?)
}

/// Revokes one of the actor's tokens: its next call is refused.
pub async fn revoke(
    db: &PgPool,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
) -> Result<AccessToken, CoreError> {
    let mut tx = db.begin().await?;
    let token = tokens::revoke(&mut *tx, actor.user.user_id(), id)
        .await?
        .ok_or(CoreError::NotFound)?;
    audit::record(
        &mut *tx,
        actor.event(
            origin,
            "token_revoked",
            json!({ "token": token.name, "prefix": token.prefix }),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(token)
}

/// The actor a bearer token stands for, and the token; [`CoreError::Unauthenticated`]
/// for anything but a token in use of an enabled account.
pub async fn authenticate(
    db: &PgPool,
    bearer: &str,
    origin: &Origin,
) -> Result<(Actor, AccessToken), CoreError> {
    if !looks_like_token(bearer) {
        return Err(CoreError::Unauthenticated);
    }
    let (token, user) = tokens::authenticate(db, &token_hash(bearer), origin.ip_str())
        .await?
        .ok_or(CoreError::Unauthenticated)?;
    let scopes = Scopes::parse(token.scopes.iter().map(String::as_str)).unwrap_or_default();
    let actor = Actor {
        user,
        via: Via::Token {
            id: token.id,
            name: token.name.clone(),
            scopes,
            strong: token.strong,
        },
    };
    Ok((actor, token))
}

fn field(name: &'static str, code: &'static str, message: impl Into<String>) -> crate::FieldError {
    crate::FieldError {
        field: name,
        code,
        message: message.into(),
    }
}

fn new_secret() -> String {
    format!("{PREFIX}{}", new_token().0)
}

/// `bdk_` and a random token.
fn looks_like_token(text: &str) -> bool {
    text.strip_prefix(PREFIX)
        .is_some_and(random_token::looks_like_token)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_carries_256_random_bits_behind_a_recognisable_prefix() {
        let (a, b) = (new_secret(), new_secret());
        assert_ne!(a, b);
        assert!(a.starts_with("bdk_"));
        assert_eq!(a.len(), 4 + 43);
        assert!(looks_like_token(&a));
        assert!(!looks_like_token(&a[..a.len() - 1]));
        assert!(!looks_like_token(&a.replacen("bdk_", "bdx_", 1)));
        assert_eq!(token_hash(&a).len(), 32);
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
