//! Buckets reached through an IAM role instead of a stored key.
//!
//! An instance admin may give bucketdesk an AWS identity of its own
//! ([`HostIdentity`], from the host's credential chain: environment,
//! profile, web identity, ECS or EC2 instance role). That identity is used
//! for one thing only: assuming the roles that buckets were connected with
//! ([`RoleSession`]), with the workspace's external id. Every S3 call then
//! signs with the role session's temporary key; no other client ever sees
//! the host's chain (S12).
//!
//! A session lasts an hour. It is renewed when a quarter of its life is
//! left, or earlier when a presigned URL asks to last longer than what is
//! left; a presigned URL cannot outlive the session that signed it (S3's
//! rule), so [`RoleSession::presign_lifetime`] says how long one made now
//! can last.

use crate::probe::ConnectError;
use aws_config::sts::AssumeRoleProvider;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{ProvideCredentials, future};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_types::error::display::DisplayErrorContext;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// How long bucketdesk asks each role session to last.
pub const SESSION_LENGTH: Duration = Duration::from_secs(3600);

/// A session is not renewed more often than this, whatever a presigned URL
/// asks for (a role whose sessions are shorter than asked).
const RENEW_AT_MOST_EVERY: Duration = Duration::from_secs(60);

/// bucketdesk's own AWS identity, which assumes buckets' roles.
#[derive(Debug, Clone)]
pub struct HostIdentity {
    config: SdkConfig,
    /// Who the identity is, as a role's trust policy names it.
    principal: String,
}

impl HostIdentity {
    /// The identity the host gives this process (`BUCKETDESK_AWS_IDENTITY=host`):
    /// aws-config's default chain. `sts_endpoint` replaces STS's own address
    /// (a VPC endpoint, or a local STS). Asks STS who it is, so a host
    /// without an identity fails here, at start-up, with the reason.
    pub async fn from_host(sts_endpoint: Option<&str>) -> Result<HostIdentity, String> {
        let config = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http_client())
            .load()
            .await;
        Self::learn(config, sts_endpoint).await
    }

    /// An identity with a fixed key (the tests' STS caller).
    pub async fn with_key(
        access_key_id: &str,
        secret_access_key: &str,
        sts_endpoint: Option<&str>,
    ) -> Result<HostIdentity, String> {
        let config = SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .credentials_provider(
                aws_credential_types::provider::SharedCredentialsProvider::new(Credentials::new(
                    access_key_id,
                    secret_access_key,
                    None,
                    None,
                    "bucketdesk-host",
                )),
            )
            .http_client(http_client())
            .time_source(aws_smithy_async::time::SystemTimeSource::new())
            .sleep_impl(aws_smithy_async::rt::sleep::default_async_sleep().expect("tokio sleep"))
            .build();
        Self::learn(config, sts_endpoint).await
    }

    async fn learn(config: SdkConfig, sts_endpoint: Option<&str>) -> Result<HostIdentity, String> {
        let region = config.region().cloned();
        let mut builder = config.into_builder();
        // STS answers in every region; a host without one uses the global endpoint's
        builder.set_region(Some(region.unwrap_or_else(|| Region::new("us-east-1"))));
        if let Some(endpoint) = sts_endpoint {
            builder.set_endpoint_url(Some(endpoint.trim_end_matches('/').to_owned()));
        }
        let config = builder.build();
        let me = aws_sdk_sts::Client::new(&config)
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| {
                format!(
                    "AWS did not say who this host is (sts:GetCallerIdentity): {}",
                    DisplayErrorContext(&e)
                )
            })?;
        let arn = me.arn().unwrap_or_default();
        Ok(HostIdentity {
            principal: principal_of(arn),
            config,
        })
    }

    /// The ARN a role's trust policy names to let bucketdesk in.
    pub fn principal(&self) -> &str {
        &self.principal
    }

    /// The trust policy to put on a role, for the workspace's external id.
    pub fn trust_policy(&self, external_id: &str) -> String {
        let policy = serde_json::json!({
            "Version": "2012-10-17",
            "Statement": [{
                "Effect": "Allow",
                "Principal": { "AWS": self.principal },
                "Action": "sts:AssumeRole",
                "Condition": { "StringEquals": { "sts:ExternalId": external_id } }
            }]
        });
        serde_json::to_string_pretty(&policy).unwrap_or_default()
    }

    /// A session of `role_arn`, named `session_name` (shown in the role
    /// account's CloudTrail). Nothing is asked of STS until it is used.
    pub async fn session(
        &self,
        role_arn: &str,
        external_id: &str,
        session_name: &str,
    ) -> RoleSession {
        let provider = AssumeRoleProvider::builder(role_arn)
            .external_id(external_id)
            .session_name(session_name)
            .session_length(SESSION_LENGTH)
            .configure(&self.config)
            .build()
            .await;
        RoleSession(Arc::new(Session {
            provider,
            current: tokio::sync::Mutex::default(),
        }))
    }
}

/// `arn:aws:sts::ACCOUNT:assumed-role/NAME/SESSION` (the host is itself in a
/// role, as on EC2 or ECS) is trusted as the role, `arn:aws:iam::ACCOUNT:role/NAME`.
fn principal_of(arn: &str) -> String {
    match arn.split_once(":assumed-role/") {
        Some((head, rest)) => {
            let role = rest.split('/').next().unwrap_or(rest);
            format!("{}:role/{role}", head.replacen(":sts:", ":iam:", 1))
        }
        None => arn.to_owned(),
    }
}

fn http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// One bucket's role session: temporary credentials, renewed before they
/// run out. Clones share the session.
#[derive(Clone)]
pub struct RoleSession(Arc<Session>);

struct Session {
    provider: AssumeRoleProvider,
    current: tokio::sync::Mutex<Option<Held>>,
}

struct Held {
    credentials: Credentials,
    issued: SystemTime,
}

impl Held {
    /// Whether these credentials can still be used now for something that
    /// must last `wanted`.
    fn good_for(&self, now: SystemTime, wanted: Duration) -> bool {
        let Some(expiry) = self.credentials.expiry() else {
            return true;
        };
        let life = expiry.duration_since(self.issued).unwrap_or_default();
        let left = expiry.duration_since(now).unwrap_or_default();
        let young = now.duration_since(self.issued).unwrap_or_default() < RENEW_AT_MOST_EVERY;
        left > life / 4 && (left >= wanted || young)
    }
}

impl std::fmt::Debug for RoleSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoleSession")
    }
}

impl RoleSession {
    /// Credentials that last `wanted` where the role allows sessions that
    /// long (renewing them if needed).
    pub async fn credentials(&self, wanted: Duration) -> Result<Credentials, CredentialsError> {
        let mut held = self.0.current.lock().await;
        let now = SystemTime::now();
        if let Some(held) = held.as_ref().filter(|h| h.good_for(now, wanted)) {
            return Ok(held.credentials.clone());
        }
        let credentials = self.0.provider.provide_credentials().await?;
        *held = Some(Held {
            credentials: credentials.clone(),
            issued: now,
        });
        Ok(credentials)
    }

    /// Checks that the role can be assumed, with STS's reason when not.
    pub async fn check(&self) -> Result<(), ConnectError> {
        self.credentials(Duration::ZERO)
            .await
            .map(|_| ())
            .map_err(refused)
    }

    /// How long a presigned URL signed now can last: `wanted`, or less when
    /// the session (even a new one) ends sooner.
    pub async fn presign_lifetime(&self, wanted: Duration) -> Result<Duration, ConnectError> {
        let credentials = self.credentials(wanted).await.map_err(refused)?;
        let left = credentials
            .expiry()
            .map(|expiry| expiry.duration_since(SystemTime::now()).unwrap_or_default());
        Ok(left.map_or(wanted, |left| wanted.min(left)))
    }
}

fn refused(error: CredentialsError) -> ConnectError {
    ConnectError::RoleRefused(DisplayErrorContext(&error).to_string())
}

impl ProvideCredentials for RoleSession {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.credentials(Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::principal_of;

    #[test]
    fn a_host_in_a_role_is_trusted_as_that_role() {
        assert_eq!(
            principal_of("arn:aws:sts::123456789012:assumed-role/bucketdesk-task/i-0abc"),
            "arn:aws:iam::123456789012:role/bucketdesk-task"
        );
        assert_eq!(
            principal_of("arn:aws:iam::123456789012:user/bucketdesk"),
            "arn:aws:iam::123456789012:user/bucketdesk"
        );
    }
}
