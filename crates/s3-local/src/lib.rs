//! An S3-compatible server on a loopback port, serving a folder: s3s-fs
//! behind SigV4 authentication (wrong keys, tampered or expired signatures
//! get 403, as from a real S3) and each bucket's CORS rules, enforced as S3
//! enforces them (a browser may talk to a bucket only from an origin its
//! rules allow).
//!
//! Used by the local start's demo bucket and by the tests. Each bucket is a
//! folder under the root; each object a file. So an object key with a `.`
//! or `..` part would name another file, even in another bucket: such
//! requests are refused with 400 before they reach the file system (S19).

mod cors;
mod keys;
mod store;
pub mod sts;

pub use cors::CorsRule;
use cors::{BucketCors, bucket_of};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use hyper_util::service::TowerToHyperService;
pub use keys::{TemporaryKey, TemporaryKeys};
use s3s::service::S3ServiceBuilder;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceBuilder;

pub struct LocalS3 {
    pub addr: SocketAddr,
    pub root: PathBuf,
    pub access_key: String,
    pub secret_key: String,
    requests: Arc<AtomicU64>,
    bytes: Arc<Received>,
    cors: Arc<BucketCors>,
    allow_dot_segments: Arc<AtomicBool>,
    temporary: TemporaryKeys,
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
    error_response(
        hyper::StatusCode::BAD_REQUEST,
        "InvalidArgument",
        "Object keys with . or .. segments are not allowed here: this server keeps objects as files.",
    )
}

fn error_response(
    status: hyper::StatusCode,
    code: &str,
    message: &str,
) -> hyper::Response<s3s::Body> {
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>"
    );
    let mut response = hyper::Response::new(s3s::Body::from(xml));
    *response.status_mut() = status;
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
        let cors = Arc::new(BucketCors::new(root));
        let mut builder = S3ServiceBuilder::new(store::Store {
            fs,
            root: root.to_owned(),
            cors: cors.clone(),
            part_etags: Default::default(),
        });
        let temporary = TemporaryKeys::default();
        builder.set_auth(keys::Keys {
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
            temporary: temporary.clone(),
        });
        let s3 = builder.build();

        let listener = TcpListener::bind(bind).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(AtomicU64::new(0));
        let bytes = Arc::new(Received::default());
        let allow_dot_segments = Arc::new(AtomicBool::new(false));
        let (stop, mut stopped) = watch::channel(false);
        let counter = requests.clone();
        let temporary_keys = temporary.clone();
        let allow_dots = allow_dot_segments.clone();
        let (received, rules) = (bytes.clone(), cors.clone());
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
                let temporary = temporary_keys.clone();
                let (received, rules) = (received.clone(), rules.clone());
                let s3 = s3.clone();
                let guarded =
                    tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                        let refused =
                            !allow_dots.load(Ordering::Relaxed) && names_dot_segment(&request);
                        let wrong_token = !temporary.token_matches(&request);
                        let origin = request
                            .headers()
                            .get(hyper::header::ORIGIN)
                            .and_then(|v| v.to_str().ok())
                            .map(str::to_owned);
                        received.count(&request, origin.is_some());
                        let preflight = origin
                            .as_deref()
                            .filter(|_| request.method() == hyper::Method::OPTIONS)
                            .map(|origin| answer_preflight(&rules, &request, origin));
                        let bucket = bucket_of(request.uri().path()).to_owned();
                        let method = request.method().as_str().to_owned();
                        let rules = rules.clone();
                        let mut s3 = s3.clone();
                        async move {
                            if let Some(answer) = preflight {
                                return Ok(answer);
                            }
                            if refused {
                                return Ok(refuse_dot_segment());
                            }
                            if wrong_token {
                                return Ok(error_response(
                                    hyper::StatusCode::FORBIDDEN,
                                    "InvalidToken",
                                    "The provided token is malformed or otherwise invalid.",
                                ));
                            }
                            let mut response = tower::Service::call(&mut s3, request).await?;
                            if let Some(origin) = origin
                                && let Some(rule) = rules.allowing(&bucket, &origin, &method, &[])
                            {
                                allow_origin(response.headers_mut(), &origin, &rule);
                            }
                            Ok::<_, s3s::HttpError>(response)
                        }
                    });
                let service = ServiceBuilder::new()
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
            bytes,
            cors,
            allow_dot_segments,
            temporary,
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
    /// The temporary keys this server accepts (a local STS adds to them).
    pub fn temporary_keys(&self) -> TemporaryKeys {
        self.temporary.clone()
    }

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

    /// The bucket's CORS rules, as `PutBucketCors` would set them (`None`
    /// removes them).
    pub fn set_cors(&self, bucket: &str, rules: Option<Vec<CorsRule>>) -> std::io::Result<()> {
        self.cors.set(bucket, rules)
    }

    /// The bucket's CORS rules, `None` when it has none.
    pub fn cors(&self, bucket: &str) -> Option<Vec<CorsRule>> {
        self.cors.get(bucket)
    }

    /// Request body bytes received from browsers (requests with an
    /// `Origin` header) and from other clients (bucketdesk's own calls).
    pub fn bytes_received(&self) -> (u64, u64) {
        (
            self.bytes.from_browsers.load(Ordering::Relaxed),
            self.bytes.from_others.load(Ordering::Relaxed),
        )
    }

    /// Request body bytes received at presigned URLs (from anyone).
    pub fn bytes_received_presigned(&self) -> u64 {
        self.bytes.presigned.load(Ordering::Relaxed)
    }

    /// How many HTTP requests the server has answered (for tests that count S3 calls).
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }
}

/// Request body bytes received, by who sent them.
#[derive(Default)]
struct Received {
    from_browsers: AtomicU64,
    from_others: AtomicU64,
    /// Of either, those sent to presigned URLs (signed in the query).
    presigned: AtomicU64,
}

impl Received {
    fn count<B>(&self, request: &hyper::Request<B>, from_browser: bool) {
        let length = request
            .headers()
            .get(hyper::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .unwrap_or(0);
        let counter = if from_browser {
            &self.from_browsers
        } else {
            &self.from_others
        };
        counter.fetch_add(length, Ordering::Relaxed);
        if request
            .uri()
            .query()
            .is_some_and(|q| q.contains("X-Amz-Signature="))
        {
            self.presigned.fetch_add(length, Ordering::Relaxed);
        }
    }
}

/// A browser asks whether it may send a request: yes when one of the
/// bucket's rules allows its origin, method and headers (S3 answers 200
/// with the rule's terms), else 403.
fn answer_preflight<B>(
    rules: &BucketCors,
    request: &hyper::Request<B>,
    origin: &str,
) -> hyper::Response<s3s::Body> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    let method = header("access-control-request-method");
    let headers: Vec<String> = header("access-control-request-headers")
        .split(',')
        .map(|h| h.trim().to_ascii_lowercase())
        .filter(|h| !h.is_empty())
        .collect();
    let bucket = bucket_of(request.uri().path());
    let Some(rule) = rules.allowing(bucket, origin, method, &headers) else {
        return error_response(
            hyper::StatusCode::FORBIDDEN,
            "AccessForbidden",
            "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
        );
    };
    let mut response = hyper::Response::new(s3s::Body::empty());
    let answer = response.headers_mut();
    allow_origin(answer, origin, &rule);
    let value = |text: &str| hyper::header::HeaderValue::from_str(text).ok();
    if let Some(v) = value(&rule.allowed_methods.join(", ")) {
        answer.insert(hyper::header::ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if !headers.is_empty()
        && let Some(v) = value(&headers.join(", "))
    {
        answer.insert(hyper::header::ACCESS_CONTROL_ALLOW_HEADERS, v);
    }
    if let Some(v) = rule.max_age_seconds.and_then(|s| value(&s.to_string())) {
        answer.insert(hyper::header::ACCESS_CONTROL_MAX_AGE, v);
    }
    response
}

fn allow_origin(answer: &mut hyper::HeaderMap, origin: &str, rule: &CorsRule) {
    let value = |text: &str| hyper::header::HeaderValue::from_str(text).ok();
    // S3 answers `*` for a rule that allows any origin, else the origin
    let allowed = if rule.allowed_origins.iter().any(|o| o == "*") {
        "*"
    } else {
        origin
    };
    if let Some(v) = value(allowed) {
        answer.insert(hyper::header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
    }
    if !rule.expose_headers.is_empty()
        && let Some(v) = value(&rule.expose_headers.join(", "))
    {
        answer.insert(hyper::header::ACCESS_CONTROL_EXPOSE_HEADERS, v);
    }
    answer.insert(
        hyper::header::VARY,
        hyper::header::HeaderValue::from_static(
            "Origin, Access-Control-Request-Headers, Access-Control-Request-Method",
        ),
    );
}

impl Drop for LocalS3 {
    fn drop(&mut self) {
        self.stop.send_replace(true);
    }
}
