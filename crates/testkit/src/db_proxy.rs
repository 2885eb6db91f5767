//! A TCP proxy in front of Postgres that a test can take down and bring back,
//! to see how the app behaves while its database is unreachable (R4).

use std::net::SocketAddr;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub struct DbProxy {
    pub addr: SocketAddr,
    down: watch::Sender<bool>,
}

impl DbProxy {
    pub async fn start(upstream: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let (down, _) = watch::channel(false);
        let state = down.clone();
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                if *state.borrow() {
                    continue; // dropped: the connection is refused as soon as it opens
                }
                let mut watch = state.subscribe();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream).await else {
                        return;
                    };
                    let mut client = client;
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {},
                        _ = watch.wait_for(|down| *down) => {},
                    }
                });
            }
        });
        DbProxy { addr, down }
    }

    /// Cuts every open connection and refuses new ones.
    pub fn take_down(&self) {
        self.down.send_replace(true);
    }

    pub fn bring_back(&self) {
        self.down.send_replace(false);
    }
}
