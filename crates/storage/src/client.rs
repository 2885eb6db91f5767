//! An S3 client for one connected bucket, built only from what bucketdesk
//! stored for it (its key, or the role it was connected with): never the
//! host's AWS credential chain, environment or profile files.

use crate::endpoint::GuardedResolver;
use crate::role::RoleSession;
use aws_sdk_s3::config::retry::RetryConfig;
use aws_sdk_s3::config::timeout::TimeoutConfig;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, IdentityCache, Region, RequestChecksumCalculation,
    ResponseChecksumValidation, SharedCredentialsProvider,
};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// Everything needed to reach one bucket. The secret is redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct Connection {
    pub bucket: String,
    pub region: String,
    /// `None`: AWS S3's own endpoint for the region.
    pub endpoint: Option<String>,
    pub path_style: bool,
    pub signer: Signer,
}

/// What signs the bucket's requests.
#[derive(Debug, Clone)]
pub enum Signer {
    /// The bucket's own long-lived key, stored sealed.
    Key {
        access_key_id: String,
        secret_access_key: SecretString,
    },
    /// The temporary keys of the role the bucket was connected with.
    Role(RoleSession),
}

impl Signer {
    pub fn key(access_key_id: impl Into<String>, secret_access_key: impl Into<String>) -> Signer {
        Signer::Key {
            access_key_id: access_key_id.into(),
            secret_access_key: SecretString::from(secret_access_key.into()),
        }
    }
}

/// Instance-wide settings for every S3 client.
#[derive(Debug, Clone, Copy)]
pub struct StorageOptions {
    /// How long opening a connection may take.
    pub connect_timeout: Duration,
    /// How long one S3 operation may take, retries included (R3).
    pub operation_timeout: Duration,
    /// `BUCKETDESK_ALLOW_PRIVATE_ENDPOINTS`.
    pub allow_private_endpoints: bool,
}

impl StorageOptions {
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const DEFAULT_OPERATION_TIMEOUT: Duration = Duration::from_secs(30);
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            operation_timeout: Self::DEFAULT_OPERATION_TIMEOUT,
            allow_private_endpoints: false,
        }
    }
}

/// Builds the client. Cheap enough to do per connection change, not per
/// request: callers cache clients per bucket.
pub fn s3_client(connection: &Connection, options: &StorageOptions) -> aws_sdk_s3::Client {
    let (credentials, identity_cache) = match &connection.signer {
        Signer::Key {
            access_key_id,
            secret_access_key,
        } => (
            SharedCredentialsProvider::new(Credentials::new(
                access_key_id.clone(),
                secret_access_key.expose_secret().to_owned(),
                None,
                None,
                "bucketdesk",
            )),
            IdentityCache::lazy().build(),
        ),
        // the session keeps its own credentials, renewed on its own terms:
        // a presigned URL must be signed by the ones it was measured against
        Signer::Role(session) => (
            SharedCredentialsProvider::new(session.clone()),
            IdentityCache::no_cache(),
        ),
    };
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_with_resolver(GuardedResolver {
            allow_private: options.allow_private_endpoints,
        });
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(options.connect_timeout)
        .read_timeout(options.operation_timeout)
        .operation_attempt_timeout(options.operation_timeout)
        .operation_timeout(options.operation_timeout)
        .build();
    let mut config = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new(connection.region.clone()))
        .credentials_provider(credentials)
        .identity_cache(identity_cache)
        .http_client(http_client)
        .timeout_config(timeouts)
        .retry_config(RetryConfig::standard().with_max_attempts(2))
        // S3-compatible services differ in which checksums they accept:
        // send and check them only where S3 requires them
        .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
        .response_checksum_validation(ResponseChecksumValidation::WhenRequired)
        .force_path_style(connection.path_style)
        .interceptor(crate::metered::Metered);
    if let Some(endpoint) = &connection.endpoint {
        config = config.endpoint_url(endpoint.trim_end_matches('/'));
    }
    aws_sdk_s3::Client::from_conf(config.build())
}
