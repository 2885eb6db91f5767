//! One log line per request, naming the route pattern (`/s/{token}`), never
//! the raw path or query, so tokens and codes in URLs never reach the logs
//! (S13). A refusal (403 or 404) of a signed-in person is logged as a
//! warning with their user id, the route pattern and the client's address
//! (ASVS 16.3.2): enough to see someone probing ids, never a token. Health
//! probes and static files are logged at DEBUG ([`is_quiet`]), every other
//! answer at INFO, server errors at WARN.

use crate::AppState;
use crate::extract::{client_ip, is_trusted_proxy};
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use bucketdesk_domain::UserId;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Instant;
use tracing::Instrument;

/// Who made the request, once an extractor has accepted their session: for
/// the log line, and for the pages' layout, which shows the signed-in top
/// bar (see `pages::signed_in`) without each page being told.
#[derive(Clone)]
pub struct RequestUser {
    user: Arc<OnceLock<UserId>>,
    /// The request's span, which names the person from then on (not the
    /// span current at the time, which may be an inner one).
    span: tracing::Span,
}

tokio::task_local! {
    /// The person of the request this task is answering (pages are rendered
    /// on it, inside [`log_request`]).
    static ANSWERING: RequestUser;
    /// The id of the request this task is answering.
    static REQUEST_ID: RequestId;
}

/// A request's id: the `X-Request-Id` a trusted proxy sent (letters,
/// digits, `-`, `_`, `.`, at most 128), or one made here. It is on every
/// log line of the request, in the answer's `X-Request-Id` header, and on
/// error pages, so one request can be followed from the proxy to the logs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestId(pub String);

pub const REQUEST_ID_HEADER: &str = "x-request-id";

impl RequestId {
    /// The proxy's id when the peer is a trusted proxy and the id is sane,
    /// else a new one (128 random bits, hex).
    fn of(sent: Option<&HeaderValue>, peer_trusted: bool) -> RequestId {
        let sane = |id: &&str| {
            (1..=128).contains(&id.len())
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        match sent.and_then(|v| v.to_str().ok()).filter(sane) {
            Some(id) if peer_trusted => RequestId(id.to_owned()),
            _ => RequestId(uuid::Uuid::new_v4().simple().to_string()),
        }
    }

    /// The id of the request this task is answering; none outside one.
    pub fn here() -> Option<String> {
        REQUEST_ID.try_with(|id| id.0.clone()).ok()
    }

    /// Runs `f` as if answering the request whose answer carries this
    /// header (for error pages made after [`log_request`] returned).
    pub fn within<R>(response_header: Option<&HeaderValue>, f: impl FnOnce() -> R) -> R {
        match response_header.and_then(|v| v.to_str().ok()) {
            Some(id) => REQUEST_ID.sync_scope(RequestId(id.to_owned()), f),
            None => f(),
        }
    }
}

impl RequestUser {
    /// Notes the signed-in person of the request (the first one counts).
    pub fn note(extensions: &axum::http::Extensions, user: UserId) {
        if let Some(slot) = extensions.get::<RequestUser>() {
            slot.set(user);
        }
    }

    /// Notes the signed-in person of the request this task is answering.
    pub fn note_here(user: UserId) {
        let _ = ANSWERING.try_with(|slot| slot.set(user));
    }

    /// Notes the person (the first one counts) and names them on the
    /// request's log lines and span from here on.
    fn set(&self, user: UserId) {
        if self.user.set(user).is_ok() {
            self.span.record("user.id", tracing::field::display(user.0));
        }
    }

    /// Whether the request this task is answering has a signed-in person;
    /// false outside a request.
    pub fn signed_in_here() -> bool {
        ANSWERING
            .try_with(|slot| slot.user.get().is_some())
            .unwrap_or(false)
    }
}

pub async fn log_request(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "(no route)".to_owned(), |p| p.as_str().to_owned());
    // what names the client, set aside in case this is a refusal: the peer,
    // and the forwarded-for lines (usually none, so nothing is copied)
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|connected| connected.0.ip());
    let forwarded: Vec<HeaderValue> = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .cloned()
        .collect();
    let peer_trusted =
        peer.is_some_and(|peer| is_trusted_proxy(peer, &state.settings.trusted_proxies));
    let id = RequestId::of(request.headers().get(REQUEST_ID_HEADER), peer_trusted);
    // every line logged while answering carries the id (and the user, once known)
    let span = tracing::info_span!(
        "request",
        id = %id.0,
        %method,
        %route,
        status = tracing::field::Empty,
        user.id = tracing::field::Empty
    );
    let user = RequestUser {
        user: Arc::default(),
        span: span.clone(),
    };
    request.extensions_mut().insert(user.clone());
    let started = Instant::now();
    let answering = ANSWERING.scope(
        user.clone(),
        REQUEST_ID.scope(id.clone(), next.run(request)),
    );
    let mut response = answering.instrument(span.clone()).await;
    if let Ok(value) = HeaderValue::from_str(&id.0) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    let _entered = span.enter();
    let status = response.status().as_u16();
    span.record("status", i64::from(status));
    let took = started.elapsed();
    bucketdesk_metrics::metrics().request(method.as_str(), &route, status, took);
    let ms = took.as_secs_f64() * 1000.0;
    if status >= 500 {
        tracing::warn!(%method, %route, status, ms, "request");
    } else if let (403 | 404, Some(user)) = (status, user.user.get()) {
        let forwarded: Vec<&str> = forwarded.iter().filter_map(|v| v.to_str().ok()).collect();
        let ip = peer.map(|peer| {
            client_ip(
                peer,
                Some(&forwarded.join(",")),
                &state.settings.trusted_proxies,
            )
        });
        let ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
        tracing::warn!(%method, %route, status, ms, user.id = %user.0, %ip, "refused a signed-in request");
    } else if is_quiet(&route) {
        tracing::debug!(%method, %route, status, ms, "request");
    } else {
        tracing::info!(%method, %route, status, ms, "request");
    }
    response
}

/// Routes whose answers are logged at DEBUG, not INFO: a load balancer's
/// probes and the static files every page loads would drown the log.
/// Refusals and server errors on them are still warnings.
fn is_quiet(route: &str) -> bool {
    matches!(route, "/healthz" | "/readyz" | "/favicon.ico") || route.starts_with("/static/")
}
