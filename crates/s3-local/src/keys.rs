//! Who may call the local S3 server: its one long-lived key, and the
//! temporary keys the local STS hands out (each with a session token that
//! must come with every request, and an expiry after which the key is
//! refused, as AWS refuses an expired session's keys).

use s3s::auth::{S3Auth, SecretKey};
use s3s::{S3Result, s3_error};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// A key issued by the local STS.
#[derive(Debug, Clone)]
pub struct TemporaryKey {
    pub secret_key: String,
    pub session_token: String,
    pub expires_at: SystemTime,
}

/// The temporary keys the server accepts, shared with the local STS.
#[derive(Debug, Clone, Default)]
pub struct TemporaryKeys(Arc<Mutex<HashMap<String, TemporaryKey>>>);

impl TemporaryKeys {
    pub fn add(&self, access_key: String, key: TemporaryKey) {
        self.lock().insert(access_key, key);
    }

    fn get(&self, access_key: &str) -> Option<TemporaryKey> {
        self.lock().get(access_key).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, TemporaryKey>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether a request signed by `access_key` carries the right session
    /// token (always, for a key that is not temporary: s3s checks those).
    pub(crate) fn token_matches<B>(&self, request: &hyper::Request<B>) -> bool {
        let Some(access_key) = access_key_of(request) else {
            return true;
        };
        let Some(key) = self.get(&access_key) else {
            return true;
        };
        let token = request
            .headers()
            .get("x-amz-security-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| query_value(request.uri().query(), "X-Amz-Security-Token"));
        token.as_deref() == Some(key.session_token.as_str())
    }
}

/// The access key a request is signed with: from its `Authorization`
/// header, or from a presigned URL's `X-Amz-Credential`.
fn access_key_of<B>(request: &hyper::Request<B>) -> Option<String> {
    let credential = match request
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        Some(header) => header
            .split("Credential=")
            .nth(1)
            .map(|rest| rest.split(',').next().unwrap_or(rest).to_owned()),
        None => query_value(request.uri().query(), "X-Amz-Credential"),
    }?;
    credential.split('/').next().map(str::to_owned)
}

fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then(|| {
            percent_encoding::percent_decode_str(value)
                .decode_utf8_lossy()
                .into_owned()
        })
    })
}

/// The server's authenticator: the long-lived key, then temporary ones.
pub(crate) struct Keys {
    pub access_key: String,
    pub secret_key: String,
    pub temporary: TemporaryKeys,
}

#[async_trait::async_trait]
impl S3Auth for Keys {
    async fn get_secret_key(&self, access_key: &str) -> S3Result<SecretKey> {
        if access_key == self.access_key {
            return Ok(SecretKey::from(self.secret_key.as_str()));
        }
        match self.temporary.get(access_key) {
            Some(key) if key.expires_at > SystemTime::now() => {
                Ok(SecretKey::from(key.secret_key.as_str()))
            }
            Some(_) => Err(s3_error!(ExpiredToken, "The provided token has expired.")),
            None => Err(s3_error!(InvalidAccessKeyId)),
        }
    }
}
