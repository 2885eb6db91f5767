//! Who acts, and from where. Every operation takes an [`Actor`] (the person,
//! and how they came: a browser session or a personal access token with its
//! scopes) and an [`Origin`] (address and user agent) for its audit event.

use crate::{CoreError, Denied};
use bucketdesk_db::audit;
use bucketdesk_db::users::User;
use bucketdesk_domain::{Scope, Scopes};
use serde_json::Value;
use std::net::IpAddr;
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Actor {
    pub user: User,
    pub via: Via,
}

#[derive(Debug, Clone)]
pub enum Via {
    /// A signed-in browser: everything the person's roles allow. `strong`:
    /// the sign-in passed a second factor or single sign-on.
    Session { strong: bool },
    /// A personal access token: the person's roles, within its scopes.
    /// `strong`: the session that made it was.
    Token {
        id: Uuid,
        name: String,
        scopes: Scopes,
        strong: bool,
    },
}

impl Actor {
    /// A person in a browser session (its sign-in `strong` or not).
    pub fn session(user: User, strong: bool) -> Actor {
        Actor {
            user,
            via: Via::Session { strong },
        }
    }

    /// Whether the actor proved more than one factor: the account has a
    /// second factor (so every sign-in to it asks for one), or the way in
    /// passed single sign-on. What "members must use a second factor or
    /// single sign-on" asks for.
    pub fn strong(&self) -> bool {
        self.user.second_factor
            || match self.via {
                Via::Session { strong } | Via::Token { strong, .. } => strong,
            }
    }

    /// `Ok` unless `required` and the actor is not [`Self::strong`]:
    /// [`Denied::SecondFactor`] then.
    pub fn require_second_factor(&self, required: bool) -> Result<(), CoreError> {
        if required && !self.strong() {
            Err(CoreError::Forbidden(Denied::SecondFactor))
        } else {
            Ok(())
        }
    }

    /// The scopes the actor acts within (all of them for a session).
    pub fn scopes(&self) -> Scopes {
        match &self.via {
            Via::Session { .. } => Scopes::all(),
            Via::Token { scopes, .. } => *scopes,
        }
    }

    /// `Ok` when the actor's scopes include `scope`.
    pub fn may(&self, scope: Scope) -> Result<(), CoreError> {
        require_scope(self.scopes(), scope)
    }

    /// `Ok` for a person in a browser session; [`Denied::SessionOnly`] for a
    /// token (which cannot make tokens or change how its owner signs in).
    pub fn require_session(&self) -> Result<(), CoreError> {
        match self.via {
            Via::Session { .. } => Ok(()),
            Via::Token { .. } => Err(CoreError::Forbidden(Denied::SessionOnly)),
        }
    }

    /// An audit event by this actor from `origin`; `details` gets the
    /// token's name when the actor came with one.
    pub fn event<'a>(
        &'a self,
        origin: &'a Origin,
        action: &'a str,
        details: Value,
    ) -> audit::NewEvent<'a> {
        let mut details = details;
        if let (Via::Token { name, .. }, Value::Object(map)) = (&self.via, &mut details) {
            map.insert("token".into(), Value::String(name.clone()));
        }
        audit::NewEvent {
            actor_id: Some(self.user.user_id()),
            actor_email: Some(&self.user.email),
            action,
            ip: Some(&origin.ip_text),
            user_agent: origin.user_agent.as_deref(),
            details,
            ..Default::default()
        }
    }
}

/// `Ok` when `scopes` include `needed`; forbidden for lack of it otherwise.
/// The one scope check: actors and the grants made for them use it.
pub(crate) fn require_scope(scopes: Scopes, needed: Scope) -> Result<(), CoreError> {
    if scopes.contains(needed) {
        Ok(())
    } else {
        Err(CoreError::Forbidden(Denied::Scope { needed }))
    }
}

/// Where a request came from.
#[derive(Debug, Clone)]
pub struct Origin {
    pub ip: IpAddr,
    ip_text: String,
    pub user_agent: Option<String>,
    /// The address a link's visitor proved with a mailed code, if any.
    visitor_email: Option<String>,
}

impl Origin {
    pub fn new(ip: IpAddr, user_agent: Option<String>) -> Origin {
        Origin {
            ip,
            ip_text: ip.to_string(),
            user_agent,
            visitor_email: None,
        }
    }

    /// The same origin, by a visitor who proved this address (a link's
    /// recipient): their visits name them.
    pub fn with_visitor(mut self, email: Option<String>) -> Origin {
        self.visitor_email = email;
        self
    }

    pub fn ip_str(&self) -> &str {
        &self.ip_text
    }

    /// An audit event from this origin with no person behind it (a visitor
    /// of a link).
    pub fn visitor_event<'a>(&'a self, action: &'a str, details: Value) -> audit::NewEvent<'a> {
        audit::NewEvent {
            action,
            actor_email: self.visitor_email.as_deref(),
            ip: Some(&self.ip_text),
            user_agent: self.user_agent.as_deref(),
            details,
            ..Default::default()
        }
    }
}
