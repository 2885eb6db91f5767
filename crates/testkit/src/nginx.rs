//! nginx (Debian's package) in front of a test app, as a reverse proxy with
//! a request-size limit: an unprivileged, foreground process on its own
//! port with every file in a temporary folder, stopped when dropped (and
//! stoppable and startable again, to cut connections on purpose).

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Nginx {
    pub addr: SocketAddr,
    dir: tempfile::TempDir,
    child: Option<Child>,
}

/// nginx's path, once it is known to be there.
pub fn nginx_binary() -> String {
    let path = std::env::var("NGINX").unwrap_or_else(|_| "/usr/sbin/nginx".into());
    assert!(
        std::path::Path::new(&path).exists(),
        "nginx is missing at {path}: install Debian's `nginx-light` (.ci/run does) or set NGINX"
    );
    path
}

/// A free port on 127.0.0.1, for a proxy whose address the app must know first.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port on 127.0.0.1")
        .port()
}

impl Nginx {
    /// Starts nginx on `127.0.0.1:port`, proxying everything to `upstream`
    /// (`127.0.0.1:1234`) with `client_max_body_size` set to `max_body`.
    pub fn start(port: u16, upstream: &str, max_body: &str) -> Nginx {
        Self::balancing(port, &[upstream], max_body)
    }

    /// Starts nginx on `127.0.0.1:port`, sending requests to `upstreams` in
    /// turn (round robin), as in front of replicas. A server that refuses
    /// connections or breaks one before answering is passed over for a
    /// second, and the request goes to the next one (nginx's default: any
    /// request it could not send, and GETs and HEADs it sent too).
    pub fn balancing(port: u16, upstreams: &[&str], max_body: &str) -> Nginx {
        let dir = tempfile::tempdir().expect("a temporary folder for nginx");
        let d = dir.path().display();
        let servers: String = upstreams
            .iter()
            .map(|upstream| format!("        server {upstream} max_fails=1 fail_timeout=1s;\n"))
            .collect();
        let config = format!(
            r#"daemon off;
master_process off;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 512; }}
http {{
    log_format chunks '$request_method $uri $status $request_length $upstream_addr';
    access_log {d}/access.log chunks;
    client_body_temp_path {d}/body;
    proxy_temp_path {d}/proxy;
    fastcgi_temp_path {d}/fastcgi;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    client_max_body_size {max_body};
    upstream bucketdesk {{
{servers}    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://bucketdesk;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_request_buffering off;
            proxy_buffering off;
            proxy_read_timeout 300s;
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"#
        );
        std::fs::write(dir.path().join("nginx.conf"), config).expect("nginx.conf is written");
        let mut nginx = Nginx {
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            dir,
            child: None,
        };
        nginx.start_again();
        nginx
    }

    /// Its process id, while it runs (one process: no master, one worker).
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops it: connections in flight break, new ones are refused.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again), once it accepts connections.
    pub fn start_again(&mut self) {
        self.stop();
        let config = self.dir.path().join("nginx.conf");
        let child = Command::new(nginx_binary())
            .arg("-c")
            .arg(&config)
            .arg("-p")
            .arg(self.dir.path())
            .arg("-e")
            .arg(self.log_path("error.log"))
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("nginx starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(self.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        // something answers: nginx, unless another process took its port
        // while it was stopped (nginx then exits at once)
        std::thread::sleep(Duration::from_millis(100));
        let exited = self
            .child
            .as_mut()
            .and_then(|child| child.try_wait().ok().flatten());
        assert!(
            exited.is_none(),
            "nginx exited ({exited:?}), another process holds {}: {}",
            self.addr,
            self.error_log()
        );
    }

    /// `METHOD path status request-length upstream(s)` per request.
    pub fn access_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("access.log")).unwrap_or_default()
    }

    pub fn error_log(&self) -> String {
        std::fs::read_to_string(self.log_path("error.log")).unwrap_or_default()
    }

    fn log_path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        self.stop();
    }
}
