//! Who is calling: IP address and user agent, for rate limits and the audit trail.

use crate::AppState;
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use bucketdesk_db::audit;
use bucketdesk_db::users::User;
use ipnet::IpNet;
use std::convert::Infallible;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: IpAddr,
    ip_text: String,
    pub user_agent: Option<String>,
}

impl ClientInfo {
    pub fn new(ip: IpAddr, user_agent: Option<String>) -> Self {
        ClientInfo {
            ip,
            ip_text: ip.to_string(),
            user_agent,
        }
    }

    pub fn ip_str(&self) -> &str {
        &self.ip_text
    }

    /// The client as the core knows it.
    pub fn origin(&self) -> bucketdesk_core::Origin {
        bucketdesk_core::Origin::new(self.ip, self.user_agent.clone())
    }

    /// An audit event by `actor` from this client; add the scope and details.
    pub fn event<'a>(&'a self, actor: &'a User, action: &'a str) -> audit::NewEvent<'a> {
        audit::NewEvent {
            actor_id: Some(actor.user_id()),
            actor_email: Some(&actor.email),
            action,
            ip: Some(&self.ip_text),
            user_agent: self.user_agent.as_deref(),
            ..Default::default()
        }
    }

    /// An audit event by someone without an account (a visitor of a link).
    pub fn anonymous_event<'a>(&'a self, action: &'a str) -> audit::NewEvent<'a> {
        audit::NewEvent {
            action,
            ip: Some(&self.ip_text),
            user_agent: self.user_agent.as_deref(),
            ..Default::default()
        }
    }
}

/// Whether `ip` is one of the trusted proxies (`BUCKETDESK_TRUSTED_PROXIES`),
/// whose `X-Forwarded-For` and `X-Request-Id` are believed and whose
/// connections are not limited per address.
pub fn is_trusted_proxy(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// The client's address: the TCP peer, unless the peer is a trusted proxy, in
/// which case `X-Forwarded-For` is read from the right, skipping trusted
/// proxies, and the first untrusted hop is the client. Entries left of that are
/// whatever the client chose to send and are ignored.
pub fn client_ip(peer: IpAddr, forwarded_for: Option<&str>, trusted: &[IpNet]) -> IpAddr {
    let is_trusted = |ip: &IpAddr| is_trusted_proxy(*ip, trusted);
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for hop in forwarded_for.unwrap_or("").rsplit(',') {
        let Ok(ip) = hop.trim().parse::<IpAddr>() else {
            break;
        };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    client
}

impl ClientInfo {
    /// The client of a request, from its connection, headers and the
    /// trusted proxies (`BUCKETDESK_TRUSTED_PROXIES`).
    pub fn of(
        headers: &axum::http::HeaderMap,
        extensions: &axum::http::Extensions,
        trusted: &[IpNet],
    ) -> ClientInfo {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |ci| ci.0.ip());
        // every header line, in order: some proxies add a line of their own
        // instead of appending to the one the client sent
        let forwarded: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let forwarded = (!forwarded.is_empty()).then(|| forwarded.join(","));
        let user_agent = headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        ClientInfo::new(client_ip(peer, forwarded.as_deref(), trusted), user_agent)
    }
}

impl FromRequestParts<AppState> for ClientInfo {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientInfo::of(
            &parts.headers,
            &parts.extensions,
            &state.settings.trusted_proxies,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        assert_eq!(
            client_ip(ip("203.0.113.9"), Some("1.2.3.4"), &[]),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn a_trusted_proxy_passes_on_the_client_address() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("198.51.100.7"), &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn spoofed_entries_left_of_the_first_untrusted_hop_are_ignored() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let forwarded = "6.6.6.6, 198.51.100.7, 10.0.0.3";
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some(forwarded), &trusted),
            ip("198.51.100.7")
        );
    }

    #[test]
    fn garbage_in_the_header_stops_the_walk() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(ip("10.0.0.2"), Some("nonsense"), &trusted),
            ip("10.0.0.2")
        );
    }
}
