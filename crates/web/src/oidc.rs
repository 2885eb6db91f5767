//! Single sign-on with OpenID Connect: any number of providers (Keycloak,
//! Microsoft Entra ID, Google, Okta, Authentik...), each found through its
//! issuer's `/.well-known/openid-configuration`. The authorization-code
//! flow with PKCE (S256) and a `state` and `nonce` used once within ten
//! minutes; the ID token's signature (against the provider's published
//! keys, fetched again once when a token names a key not seen yet, so key
//! rotation works), issuer, audience, expiry and nonce are checked by
//! `openidconnect`. The address is trusted only when the provider says it
//! is verified. Which bucketdesk account that person has is the core's rule
//! (`bucketdesk_core::sign_in::sso_sign_in`).

use bucketdesk_core::sign_in::SsoIdentity;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreGenderClaim, CoreIdTokenClaims, CoreTokenResponse,
};
use openidconnect::{
    AdditionalClaims, AuthorizationCode, ClaimsVerificationError, ClientId, ClientSecret,
    CsrfToken, EndpointMaybeSet, EndpointNotSet, EndpointSet, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier, ProviderMetadataWithLogout,
    RedirectUrl, Scope, SignatureVerificationError, TokenResponse, UserInfoClaims,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use url::Url;

/// One identity provider, as configured.
#[derive(Clone, Debug)]
pub struct SsoSettings {
    /// Short name in addresses and settings (`keycloak`): `/auth/sso/keycloak`.
    pub name: String,
    /// On the sign-in button: "Sign in with {display_name}".
    pub display_name: String,
    pub issuer: Url,
    pub client_id: String,
    pub client_secret: SecretString,
    /// Asked for besides `openid` (default `email profile`).
    pub scopes: Vec<String>,
    /// Verified addresses in these domains get an account by signing in,
    /// whatever the signup policy.
    pub allowed_domains: Vec<String>,
    /// A claim and a value that make the person an instance admin
    /// (`groups` and `bucketdesk-admins`); checked at every sign-in.
    pub admin_claim: Option<(String, String)>,
}

impl SsoSettings {
    pub const TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a started sign-in may take (S5: 10 minutes).
    pub const FLOW_LIFETIME: Duration = Duration::from_secs(10 * 60);
    /// How long the provider's configuration and keys are used before
    /// they are fetched again.
    pub const METADATA_LIFETIME: Duration = Duration::from_secs(60 * 60);
}

/// What the browser carries from the start of a sign-in to its end (kept in
/// its session, used once).
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingSso {
    pub provider: String,
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Where to go once signed in (a path on this site).
    pub next: Option<String>,
}

impl std::fmt::Debug for PendingSso {
    // the state, nonce and PKCE verifier are secrets of the flow
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingSso")
            .field("provider", &self.provider)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SsoError {
    /// The provider answered, and what it said cannot be trusted or used.
    #[error("{0}")]
    Refused(String),
    /// The provider did not answer in time, or failed.
    #[error("The sign-in service could not be reached just now ({0}). Try again in a few minutes.")]
    Unreachable(String),
}

type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// What discovery found, and when.
struct Discovered {
    client: Client,
    end_session: Option<Url>,
    fetched: Instant,
}

/// Every claim of the user-info answer, for the admin claim.
#[derive(Clone, Debug, Deserialize, Serialize)]
struct OtherClaims {
    #[serde(flatten)]
    claims: HashMap<String, serde_json::Value>,
}
impl AdditionalClaims for OtherClaims {}

pub struct SsoProvider {
    pub settings: SsoSettings,
    callback: RedirectUrl,
    http: reqwest::Client,
    discovered: Mutex<Option<std::sync::Arc<Discovered>>>,
}

impl SsoProvider {
    /// `callback` is `BUCKETDESK_PUBLIC_URL` + `/auth/sso/{name}/callback`.
    pub fn new(settings: SsoSettings, callback: &str) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            // following redirects would open the back channel to SSRF
            .redirect(reqwest::redirect::Policy::none())
            .timeout(SsoSettings::TIMEOUT)
            .user_agent("bucketdesk")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(SsoProvider {
            callback: RedirectUrl::new(callback.to_owned()).map_err(|e| e.to_string())?,
            settings,
            http,
            discovered: Mutex::new(None),
        })
    }

    /// The provider's configuration and keys: as fetched within the hour,
    /// or fetched now (`fresh` fetches them whatever their age).
    async fn discovered(&self, fresh: bool) -> Result<std::sync::Arc<Discovered>, SsoError> {
        if !fresh {
            let cached = self.discovered.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(found) = cached.as_ref()
                && found.fetched.elapsed() < SsoSettings::METADATA_LIFETIME
            {
                return Ok(found.clone());
            }
        }
        let issuer = IssuerUrl::new(
            self.settings
                .issuer
                .as_str()
                .trim_end_matches('/')
                .to_owned(),
        )
        .map_err(|e| SsoError::Refused(format!("the issuer address is not valid: {e}")))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                SsoError::Unreachable(format!(
                    "its configuration at {}/.well-known/openid-configuration could not be read: {}",
                    self.settings.issuer.as_str().trim_end_matches('/'),
                    error_chain(&e)
                ))
            })?;
        let end_session = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .map(|url| url.url().clone());
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(self.settings.client_id.clone()),
            Some(ClientSecret::new(
                self.settings.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(self.callback.clone());
        let found = std::sync::Arc::new(Discovered {
            client,
            end_session,
            fetched: Instant::now(),
        });
        *self.discovered.lock().unwrap_or_else(|e| e.into_inner()) = Some(found.clone());
        Ok(found)
    }

    /// Has a flow started at `started_at` (Unix seconds) outlived its time?
    pub fn expired(started_at: i64) -> bool {
        time::OffsetDateTime::now_utc().unix_timestamp() - started_at
            >= SsoSettings::FLOW_LIFETIME.as_secs() as i64
    }

    /// Where to send the browser, and what its session must remember.
    pub async fn begin(&self, next: Option<String>) -> Result<(Url, PendingSso), SsoError> {
        let discovered = self.discovered(false).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = discovered.client.authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        );
        for scope in &self.settings.scopes {
            request = request.add_scope(Scope::new(scope.clone()));
        }
        let (url, state, nonce) = request.set_pkce_challenge(challenge).url();
        let pending = PendingSso {
            provider: self.settings.name.clone(),
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
            verifier: verifier.secret().clone(),
            started_at: time::OffsetDateTime::now_utc().unix_timestamp(),
            next,
        };
        Ok((url, pending))
    }

    /// Where the provider signs people out, when it says (RP-initiated
    /// logout), with bucketdesk's sign-in page to come back to.
    pub async fn end_session_url(&self, come_back_to: &str) -> Option<Url> {
        let discovered = self.discovered(false).await.ok()?;
        let mut url = discovered.end_session.clone()?;
        url.query_pairs_mut()
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("post_logout_redirect_uri", come_back_to);
        Some(url)
    }

    /// Trades the code the browser brought back (with the PKCE verifier)
    /// for tokens, checks the ID token, and says who signed in.
    pub async fn identity(
        &self,
        code: &str,
        pending: &PendingSso,
    ) -> Result<SsoIdentity, SsoError> {
        tokio::time::timeout(3 * SsoSettings::TIMEOUT, self.ask_identity(code, pending))
            .await
            .unwrap_or_else(|_| Err(SsoError::Unreachable("it did not answer in time".into())))
    }

    async fn ask_identity(
        &self,
        code: &str,
        pending: &PendingSso,
    ) -> Result<SsoIdentity, SsoError> {
        let discovered = self.discovered(false).await?;
        let tokens: CoreTokenResponse = discovered
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SsoError::Refused(format!("the provider has no token endpoint: {e}")))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(answer) => {
                    SsoError::Refused(format!(
                        "the sign-in service refused the sign-in ({})",
                        answer.error()
                    ))
                }
                other => SsoError::Unreachable(error_chain(&other)),
            })?;
        let Some(id_token) = tokens.id_token() else {
            return Err(SsoError::Refused(
                "the sign-in service sent no ID token".into(),
            ));
        };
        let nonce = Nonce::new(pending.nonce.clone());
        let claims = match id_token.claims(&discovered.client.id_token_verifier(), &nonce) {
            Ok(claims) => claims.clone(),
            // signed with a key not seen yet: the provider rotated its keys
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                let fresh = self.discovered(true).await?;
                id_token
                    .claims(&fresh.client.id_token_verifier(), &nonce)
                    .map_err(refused_token)?
                    .clone()
            }
            Err(other) => return Err(refused_token(other)),
        };
        let mut identity = identity_of(&self.settings, &claims);
        let wants_user_info = identity.email.is_none()
            || identity.email_verified.is_none()
            || self.settings.admin_claim.is_some();
        if wants_user_info && let Some(url) = discovered.client.user_info_url() {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = discovered
                .client
                .user_info(
                    tokens.access_token().clone(),
                    Some(claims.subject().clone()),
                )
                .map_err(|e| SsoError::Refused(e.to_string()))?
                .request_async(&self.http)
                .await
                .map_err(|e| {
                    SsoError::Unreachable(format!("its user info at {url}: {}", error_chain(&e)))
                })?;
            if identity.email.is_none() {
                identity.email = info.email().map(|e| e.as_str().to_owned());
            }
            if identity.email_verified.is_none() {
                identity.email_verified = info.email_verified();
            }
            if let Some((claim, value)) = &self.settings.admin_claim {
                identity.admin = Some(holds(info.additional_claims().claims.get(claim), value));
            }
        }
        Ok(identity)
    }
}

/// Who the ID token says signed in.
fn identity_of(settings: &SsoSettings, claims: &CoreIdTokenClaims) -> SsoIdentity {
    SsoIdentity {
        provider: settings.name.clone(),
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified(),
        admin: None,
        allowed_domains: settings.allowed_domains.clone(),
    }
}

/// Whether a claim is `value` or a list holding it.
fn holds(claim: Option<&serde_json::Value>, value: &str) -> bool {
    match claim {
        Some(serde_json::Value::String(one)) => one == value,
        Some(serde_json::Value::Array(many)) => many.iter().any(|v| v.as_str() == Some(value)),
        _ => false,
    }
}

fn refused_token(error: ClaimsVerificationError) -> SsoError {
    let why = match &error {
        ClaimsVerificationError::Expired(_) => "the ID token has expired",
        ClaimsVerificationError::InvalidAudience(_) => {
            "the ID token is meant for another application"
        }
        ClaimsVerificationError::InvalidIssuer(_) => "the ID token comes from another issuer",
        ClaimsVerificationError::InvalidNonce(_) => {
            "the ID token belongs to another sign-in (its nonce differs)"
        }
        ClaimsVerificationError::SignatureVerification(_) => {
            "the ID token's signature does not check out"
        }
        _ => "the ID token is not valid",
    };
    tracing::warn!(error = %error, "an ID token was refused");
    SsoError::Refused(format!(
        "The answer from the sign-in service was refused: {why}. Start again from the sign-in page."
    ))
}

/// An error and its causes, in one line (they hold no secrets: the code
/// and the verifier go in bodies, not in URLs).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_admin_claim_is_a_value_or_a_list_holding_it() {
        let list = serde_json::json!(["staff", "bucketdesk-admins"]);
        assert!(holds(Some(&list), "bucketdesk-admins"));
        assert!(!holds(Some(&list), "admins"));
        assert!(holds(Some(&serde_json::json!("admins")), "admins"));
        assert!(!holds(None, "admins"));
    }
}
