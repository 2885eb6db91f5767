//! Serving the router: accepting connections with guards against slow and
//! greedy clients (R9), and stopping within a deadline (R5, R8).
//!
//! - A connection must send its request headers within the header timeout,
//!   or it is closed: half-sent requests do not hold the server.
//! - One client address holds at most so many connections at once; more are
//!   closed as they arrive. Trusted proxies are exempt: all their clients
//!   come through them (limit connections in the proxy).
//! - On shutdown no new connection is accepted (those the kernel already
//!   completed are still served; only one completing in the moment between
//!   the last accept and the close is reset, which a proxy resends if it is
//!   a GET) and requests in flight may finish for the grace period; then uploads still running are cut, which
//!   aborts their multipart uploads, and whatever is left a moment later is
//!   dropped.

use crate::AppState;
use crate::extract::is_trusted_proxy;
use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt;

/// How long cut uploads get to abort their multipart uploads after the
/// grace period, before the process goes anyway.
pub const CUT_GRACE: Duration = Duration::from_millis(1500);

/// How long connections accepted just before the shutdown have to send
/// their first request, which is then answered, before idle connections
/// are closed.
const FIRST_REQUEST_GRACE: Duration = Duration::from_millis(250);

/// Connections open per client address.
#[derive(Clone, Default)]
struct OpenConnections(Arc<Mutex<HashMap<IpAddr, usize>>>);

/// One counted connection; it stops counting when dropped.
struct Slot {
    open: OpenConnections,
    ip: IpAddr,
}

impl OpenConnections {
    /// A slot for one more connection from `ip`, unless it has `most` already.
    fn take(&self, ip: IpAddr, most: usize) -> Option<Slot> {
        let mut open = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(ip).or_insert(0);
        if *count >= most {
            return None;
        }
        *count += 1;
        Some(Slot {
            open: self.clone(),
            ip,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.open.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

/// Serves until `shutdown` resolves, then stops within the grace period
/// (see the module's words).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let settings = &state.settings;
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(settings.header_read_timeout);
    let graceful = GracefulShutdown::new();
    let open = OpenConnections::default();
    // one accepted connection, counted against its address and served
    let take = |stream: tokio::net::TcpStream, peer: std::net::SocketAddr| {
        let most = if is_trusted_proxy(peer.ip(), &settings.trusted_proxies) {
            usize::MAX
        } else {
            settings.max_connections_per_ip
        };
        let Some(slot) = open.take(peer.ip(), most) else {
            tracing::warn!(ip = %peer.ip(), "refused a connection: too many open from this address");
            return; // dropping the stream closes it
        };
        let service = router.clone().map_request(
            move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                request.extensions_mut().insert(ConnectInfo(peer));
                request
            },
        );
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    };
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => take(stream, peer),
                Err(error) => {
                    // out of file descriptors and the like: wait, then go on
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            () = &mut shutdown => break,
        }
    }
    // Behind a proxy, stopping must not break a request the proxy already
    // sent: connections the kernel completed are accepted and served before
    // the listener closes (closing it resets them), and the requests of the
    // connections just accepted get a moment to be read before the idle
    // ones are closed (a proxy passes a refused connection to another
    // replica, but not a request lost after it was sent).
    for (stream, peer) in accept_waiting(listener) {
        match tokio::net::TcpStream::from_std(stream) {
            Ok(stream) => take(stream, peer),
            Err(error) => tracing::warn!(%error, "could not serve a connection while stopping"),
        }
    }
    tokio::time::sleep(FIRST_REQUEST_GRACE).await;
    let drained = graceful.shutdown();
    tokio::pin!(drained);
    tokio::select! {
        () = &mut drained => return Ok(()),
        () = tokio::time::sleep(settings.shutdown_grace) => {}
    }
    tracing::warn!(
        grace_secs = settings.shutdown_grace.as_secs(),
        "requests still running after the grace period: cutting uploads"
    );
    state.uploads.cut_all();
    if tokio::time::timeout(CUT_GRACE, &mut drained).await.is_err() {
        tracing::warn!("stopping with requests still running");
    }
    Ok(())
}

/// Every connection the kernel completed and nobody accepted yet, then
/// the listener closes. Asked of the socket itself, not of the runtime's
/// idea of whether it is readable, which may lag behind.
fn accept_waiting(listener: TcpListener) -> Vec<(std::net::TcpStream, std::net::SocketAddr)> {
    let Ok(listener) = listener.into_std() else {
        return Vec::new();
    };
    let mut waiting = Vec::new();
    // non-blocking (as the runtime left it): WouldBlock once none is left
    loop {
        match listener.accept() {
            Ok((stream, peer)) => {
                if stream.set_nonblocking(true).is_ok() {
                    waiting.push((stream, peer));
                }
            }
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
            // one connection that failed (reset before it was accepted): the next
            Err(error) if error.kind() == std::io::ErrorKind::ConnectionAborted => {}
            Err(_) => break,
        }
    }
    waiting
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn connections_waiting_to_be_accepted_when_the_server_stops_are_taken_before_the_listener_closes()
     {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let address = listener.local_addr().unwrap_or_else(|e| panic!("{e}"));
        // three clients the kernel accepted, which the server never polled for
        let clients: Vec<_> = (0..3)
            .map(|_| std::net::TcpStream::connect(address).unwrap_or_else(|e| panic!("{e}")))
            .collect();
        let waiting = accept_waiting(listener);
        assert_eq!(waiting.len(), 3);
        // and the listener is closed: the next client is refused
        assert!(std::net::TcpStream::connect(address).is_err());
        drop(clients);
    }

    #[test]
    fn each_address_holds_at_most_so_many_connections_and_gets_them_back() {
        let open = OpenConnections::default();
        let ip: IpAddr = "198.51.100.7".parse().unwrap_or(IpAddr::from([0, 0, 0, 0]));
        let first = open.take(ip, 2);
        let second = open.take(ip, 2);
        assert!(first.is_some() && second.is_some());
        assert!(open.take(ip, 2).is_none(), "a third is refused");
        assert!(
            open.take("198.51.100.8".parse().unwrap_or(ip), 2).is_some(),
            "others are not"
        );
        drop(first);
        assert!(
            open.take(ip, 2).is_some(),
            "a closed connection frees its slot"
        );
    }
}
