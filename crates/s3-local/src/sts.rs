//! A small AWS Security Token Service on a loopback port, for the tests and
//! the local start: `AssumeRole` and `GetCallerIdentity` answered the way
//! STS answers them (the `awsQuery` protocol, XML bodies, STS's error
//! codes). Every call must be signed (SigV4) with the one caller key it
//! knows; `AssumeRole` checks that the role exists in its account and that
//! the external id is the one the role's trust policy asks for, then issues
//! a temporary key, a session token and an expiry that the local S3 server
//! accepts until then.

use crate::keys::{TemporaryKey, TemporaryKeys};
use hmac::{Hmac, Mac};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder as ConnBuilder;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The account the local STS's roles and caller live in.
pub const ACCOUNT: &str = "111122223333";

pub struct LocalSts {
    pub addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
}

struct Shared {
    caller_key: String,
    caller_secret: String,
    /// Role ARN → the external id its trust policy requires.
    roles: Mutex<HashMap<String, String>>,
    issued: TemporaryKeys,
    assumed: AtomicU64,
    /// Sessions last at most this long (a role's maximum session duration).
    longest: Mutex<Option<Duration>>,
}

impl LocalSts {
    /// Starts on a free loopback port. Temporary keys it issues are
    /// accepted by the S3 server that `keys` belongs to.
    pub async fn start(
        keys: TemporaryKeys,
        caller_key: &str,
        caller_secret: &str,
    ) -> std::io::Result<LocalSts> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            caller_key: caller_key.to_owned(),
            caller_secret: caller_secret.to_owned(),
            roles: Mutex::default(),
            issued: keys,
            assumed: AtomicU64::new(0),
            longest: Mutex::default(),
        });
        let (stop, mut stopped) = watch::channel(false);
        let serving = shared.clone();
        tokio::spawn(async move {
            let connections = ConnBuilder::new(TokioExecutor::new());
            loop {
                let stream = tokio::select! {
                    accepted = listener.accept() => match accepted {
                        Ok((stream, _)) => stream,
                        Err(_) => continue,
                    },
                    _ = stopped.changed() => break,
                };
                let shared = serving.clone();
                let service = hyper::service::service_fn(move |request| {
                    let shared = shared.clone();
                    async move { Ok::<_, hyper::Error>(shared.answer(request).await) }
                });
                let connection = connections
                    .serve_connection(TokioIo::new(stream), service)
                    .into_owned();
                tokio::spawn(async move {
                    let _ = connection.await;
                });
            }
        });
        Ok(LocalSts { addr, shared, stop })
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The ARN of the one identity allowed to call this STS.
    pub fn caller_arn(&self) -> String {
        format!("arn:aws:iam::{ACCOUNT}:user/bucketdesk")
    }

    /// Makes a role whose trust policy lets the caller assume it with
    /// `external_id`; returns its ARN.
    pub fn add_role(&self, name: &str, external_id: &str) -> String {
        let arn = format!("arn:aws:iam::{ACCOUNT}:role/{name}");
        lock(&self.shared.roles).insert(arn.clone(), external_id.to_owned());
        arn
    }

    /// How many sessions were handed out.
    pub fn sessions_issued(&self) -> u64 {
        self.shared.assumed.load(Ordering::Relaxed)
    }

    /// Sessions last at most `longest`, whatever was asked for.
    pub fn limit_sessions_to(&self, longest: Duration) {
        *lock(&self.shared.longest) = Some(longest);
    }
}

impl Drop for LocalSts {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}

type Answer = hyper::Response<Full<Bytes>>;

/// Why a request was refused: its status, STS's error code and message.
type Refusal = (u16, &'static str, &'static str);

impl Shared {
    async fn answer(&self, request: hyper::Request<hyper::body::Incoming>) -> Answer {
        let (parts, body) = request.into_parts();
        let Ok(body) = body.collect().await.map(|b| b.to_bytes()) else {
            return error(400, "InvalidRequest", "The request body could not be read.");
        };
        if let Err((status, code, message)) = self.check_signature(&parts, &body) {
            return error(status, code, message);
        }
        let form: HashMap<String, String> = url_form(&body);
        match form.get("Action").map(String::as_str) {
            Some("GetCallerIdentity") => ok(&format!(
                "<GetCallerIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\
                 <GetCallerIdentityResult><Arn>arn:aws:iam::{ACCOUNT}:user/bucketdesk</Arn>\
                 <UserId>AIDALOCALSTSCALLER</UserId><Account>{ACCOUNT}</Account></GetCallerIdentityResult>\
                 <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></GetCallerIdentityResponse>",
                random_hex(8)
            )),
            Some("AssumeRole") => self.assume_role(&form),
            other => error(
                400,
                "InvalidAction",
                &format!("Could not find operation {}.", other.unwrap_or("")),
            ),
        }
    }

    fn assume_role(&self, form: &HashMap<String, String>) -> Answer {
        let role = form.get("RoleArn").cloned().unwrap_or_default();
        let session = form.get("RoleSessionName").cloned().unwrap_or_default();
        if session.len() < 2
            || session.len() > 64
            || !session
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+=,.@-_".contains(c))
        {
            return error(
                400,
                "ValidationError",
                "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint",
            );
        }
        let asked = form
            .get("DurationSeconds")
            .and_then(|d| d.parse::<u64>().ok())
            .unwrap_or(3600);
        if !(900..=43_200).contains(&asked) {
            return error(
                400,
                "ValidationError",
                "The requested DurationSeconds is outside 900 to 43200 seconds.",
            );
        }
        let allowed = lock(&self.roles).get(&role).cloned();
        if allowed.is_none() || form.get("ExternalId") != allowed.as_ref() {
            return error(
                403,
                "AccessDenied",
                &format!(
                    "User: arn:aws:iam::{ACCOUNT}:user/bucketdesk is not authorized to perform: sts:AssumeRole on resource: {role}"
                ),
            );
        }
        let mut lasts = Duration::from_secs(asked);
        if let Some(longest) = *lock(&self.longest) {
            lasts = lasts.min(longest);
        }
        let expires_at = SystemTime::now() + lasts;
        let access_key = format!("ASIA{}", random_hex(8).to_uppercase());
        let key = TemporaryKey {
            secret_key: random_hex(20),
            session_token: random_hex(48),
            expires_at,
        };
        self.issued.add(access_key.clone(), key.clone());
        self.assumed.fetch_add(1, Ordering::Relaxed);
        let expiration = time::OffsetDateTime::from(expires_at)
            .replace_nanosecond(0)
            .ok()
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        let role_name = role.rsplit('/').next().unwrap_or_default();
        ok(&format!(
            "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>\
             <AssumedRoleUser><AssumedRoleId>AROALOCALROLE:{session}</AssumedRoleId>\
             <Arn>arn:aws:sts::{ACCOUNT}:assumed-role/{role_name}/{session}</Arn></AssumedRoleUser>\
             <Credentials><AccessKeyId>{access_key}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
             <SessionToken>{}</SessionToken><Expiration>{expiration}</Expiration></Credentials>\
             </AssumeRoleResult><ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></AssumeRoleResponse>",
            key.secret_key,
            key.session_token,
            random_hex(8)
        ))
    }

    /// Verifies the request's SigV4 signature against the caller key, as
    /// STS does: a missing or unknown key, or a signature that does not
    /// match, is refused.
    fn check_signature(
        &self,
        parts: &hyper::http::request::Parts,
        body: &[u8],
    ) -> Result<(), Refusal> {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let missing = || {
            (
                403,
                "MissingAuthenticationToken",
                "Request is missing Authentication Token",
            )
        };
        let authorization = header("authorization").ok_or_else(missing)?;
        let fields: HashMap<&str, &str> = authorization
            .trim_start_matches("AWS4-HMAC-SHA256")
            .split(',')
            .filter_map(|f| f.trim().split_once('='))
            .collect();
        let (Some(credential), Some(signed), Some(signature)) = (
            fields.get("Credential"),
            fields.get("SignedHeaders"),
            fields.get("Signature"),
        ) else {
            return Err(missing());
        };
        let mut scope = credential.split('/');
        let key = scope.next().unwrap_or_default();
        if key != self.caller_key {
            return Err((
                403,
                "InvalidClientTokenId",
                "The security token included in the request is invalid.",
            ));
        }
        let scope: Vec<&str> = scope.collect();
        let amz_date = header("x-amz-date").unwrap_or_default();
        let canonical_headers: String = signed
            .split(';')
            .map(|name| {
                let value = header(name).unwrap_or_default();
                format!(
                    "{name}:{}\n",
                    value.split_whitespace().collect::<Vec<_>>().join(" ")
                )
            })
            .collect();
        let payload =
            header("x-amz-content-sha256").unwrap_or_else(|| hex::encode(Sha256::digest(body)));
        let canonical_request = format!(
            "{}\n{}\n{}\n{canonical_headers}\n{signed}\n{payload}",
            parts.method,
            parts.uri.path(),
            parts.uri.query().unwrap_or("")
        );
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256\n{amz_date}\n{}\n{}",
            scope.join("/"),
            hex::encode(Sha256::digest(canonical_request.as_bytes()))
        );
        let mut signing_key = format!("AWS4{}", self.caller_secret).into_bytes();
        for part in &scope {
            signing_key = hmac(&signing_key, part.as_bytes());
        }
        if hex::encode(hmac(&signing_key, string_to_sign.as_bytes())) != *signature {
            return Err((
                403,
                "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided.",
            ));
        }
        Ok(())
    }
}

fn hmac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

fn url_form(body: &[u8]) -> HashMap<String, String> {
    String::from_utf8_lossy(body)
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let decode = |s: &str| {
                percent_encoding::percent_decode_str(&s.replace('+', " "))
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (decode(k), decode(v))
        })
        .collect()
}

/// Hex of `bytes` random bytes (from the OS, through the hasher's seed and
/// a counter: unique per call, unpredictable enough for a test service).
fn random_hex(bytes: usize) -> String {
    use std::hash::{BuildHasher, RandomState};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut out = String::new();
    while out.len() < bytes * 2 {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        out.push_str(&format!("{:016x}", RandomState::new().hash_one(n)));
    }
    out.truncate(bytes * 2);
    out
}

fn ok(xml: &str) -> Answer {
    respond(200, xml.to_owned())
}

fn error(status: u16, code: &str, message: &str) -> Answer {
    let kind = if status >= 500 { "Receiver" } else { "Sender" };
    respond(
        status,
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>{kind}</Type>\
             <Code>{code}</Code><Message>{message}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            random_hex(8)
        ),
    )
}

fn respond(status: u16, xml: String) -> Answer {
    hyper::Response::builder()
        .status(status)
        .header("content-type", "text/xml")
        .body(Full::new(Bytes::from(xml)))
        .expect("a valid response")
}
