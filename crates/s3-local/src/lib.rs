//! An S3-compatible server on a loopback port, serving a folder: s3s-fs
//! behind SigV4 authentication (wrong keys, tampered or expired signatures
//! get 403, as from a real S3) and CORS, so browsers may talk to it.
//!
//! Used by the local start's demo bucket and by the tests. Each bucket is a
//! folder under the root; each object a file. So an object key with a `.`
//! or `..` part would name another file, even in another bucket: such
//! requests are refused with 400 before they reach the file system (S19).

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::service::TowerToHyperService;
use s3s::auth::SimpleAuth;
use s3s::service::S3ServiceBuilder;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;
use tower_http::cors::CorsLayer;

pub struct LocalS3 {
    pub addr: SocketAddr,
    pub root: PathBuf,
    pub access_key: String,
    pub secret_key: String,
    requests: Arc<AtomicU64>,
    allow_dot_segments: Arc<AtomicBool>,
    stop: watch::Sender<bool>,
}

/// Whether the request names an object key (in its path, or as the copy
/// source) with a `.` or `..` part, which the file system would resolve.
fn names_dot_segment<B>(request: &hyper::Request<B>) -> bool {
    let has_dots = |path: &str| {
        let decoded = percent_encoding::percent_decode_str(path).decode_utf8_lossy();
        decoded
            .trim_start_matches('/')
            .split('/')
            .skip(1) // the bucket
            .any(|part| part == "." || part == "..")
    };
    has_dots(request.uri().path())
        || request
            .headers()
            .get("x-amz-copy-source")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|source| has_dots(source.split('?').next().unwrap_or(source)))
}

fn refuse_dot_segment() -> hyper::Response<s3s::Body> {
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InvalidArgument</Code>\
               <Message>Object keys with . or .. segments are not allowed here: this server keeps objects as files.</Message></Error>";
    let mut response = hyper::Response::new(s3s::Body::from(xml.to_owned()));
    *response.status_mut() = hyper::StatusCode::BAD_REQUEST;
    response.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/xml"),
    );
    response
}

impl LocalS3 {
    /// Serves `root` on `bind` (use port 0 for any free port).
    pub async fn start(
        root: &Path,
        bind: SocketAddr,
        access_key: &str,
        secret_key: &str,
    ) -> std::io::Result<Self> {
        std::fs::create_dir_all(root)?;
        let fs =
            s3s_fs::FileSystem::new(root).map_err(|e| std::io::Error::other(format!("{e:?}")))?;
        let mut builder = S3ServiceBuilder::new(fs);
        builder.set_auth(SimpleAuth::from_single(access_key, secret_key));
        let s3 = builder.build();

        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let allow_dot_segments = Arc::new(AtomicBool::new(false));
        let (stop, mut stopped) = watch::channel(false);
        let counter = requests.clone();
        let allow_dots = allow_dot_segments.clone();
        tokio::spawn(async move {
            let connections = ConnBuilder::new(TokioExecutor::new());
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(error) => {
                            tracing::warn!(%error, "local S3: accept failed");
                            continue;
                        }
                    },
                    _ = stopped.changed() => break,
                };
                let counter = counter.clone();
                let allow_dots = allow_dots.clone();
                let s3 = s3.clone();
                let guarded =
                    tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let refused =
                            !allow_dots.load(Ordering::Relaxed) && names_dot_segment(&request);
                        let mut s3 = s3.clone();
                        async move {
                            if refused {
                                return Ok(refuse_dot_segment());
                            }
                            tower::Service::call(&mut s3, request).await
                        }
                    });
                let service = ServiceBuilder::new()
                    .layer(CorsLayer::very_permissive().expose_headers([s3s::header::ETAG]))
                    .map_request(move |request: hyper::Request<hyper::body::Incoming>| {
                        counter.fetch_add(1, Ordering::Relaxed);
                        request
                    })
                    .service(guarded);
                let connection = connections
                    .serve_connection(TokioIo::new(stream), TowerToHyperService::new(service))
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        Ok(LocalS3 {
            addr,
            root: root.to_owned(),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            requests,
            allow_dot_segments,
            stop,
        })
    }

    /// Lets keys with `.` or `..` parts through to s3s-fs, which resolves
    /// them. Only for a test that stands in for a service storing such keys
    /// literally (as S3 does), where the resolution does no harm.
    pub fn allow_dot_segments(&self, allow: bool) {
        self.allow_dot_segments.store(allow, Ordering::Relaxed);
    }

    /// `http://127.0.0.1:port`
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Creates a bucket (a folder under the root) if it does not exist.
    pub fn create_bucket(&self, name: &str) -> std::io::Result<()> {
        std::fs::create_dir_all(self.root.join(name))
    }

    /// Parts of multipart uploads that were neither completed nor aborted
    /// (s3s-fs keeps each as an `.upload_id-*` file in its root).
    pub fn unfinished_parts(&self) -> usize {
        std::fs::read_dir(&self.root)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().starts_with(".upload_id-"))
                    .count()
            })
            .unwrap_or(0)
    }

    /// How many HTTP requests the server has answered (for tests that count S3 calls).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
