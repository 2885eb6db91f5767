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
    /// The issuer exactly as the provider writes it (a trailing `/` matters:
    /// ID tokens must name the same string).
    pub issuer: String,
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
    /// The provider's addresses are its people's own (a company
    /// directory): an address it sends without `email_verified` counts as
    /// verified, and an account that signed in before is linked on its
    /// first single sign-on. Off: only verified addresses, and only
    /// accounts never used yet (or new ones) are linked.
    pub trust_email: bool,
}

impl SsoSettings {
    pub const TIMEOUT: Duration = Duration::from_secs(10);
    /// How long a started sign-in may take (S5: 10 minutes).
    pub const FLOW_LIFETIME: Duration = Duration::from_secs(10 * 60);
    /// How long the provider's configuration and keys are used before
    /// they are fetched again.
    pub const METADATA_LIFETIME: Duration = Duration::from_secs(60 * 60);
    /// How long a failure to read it is answered from memory.
    pub const FAILURE_LIFETIME: Duration = Duration::from_secs(30);
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
    /// Linking the identity to this signed-in account (from the account
    /// page), not signing in.
    #[serde(default)]
    pub linking: Option<uuid::Uuid>,
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
    /// When reading its configuration last failed: for a little while no
    /// request makes bucketdesk ask again (a crafted `?sso=` on the sign-in
    /// page, a burst of sign-ins while the provider is down).
    failed_at: Mutex<Option<Instant>>,
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
            failed_at: Mutex::new(None),
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
        let unreachable = || SsoError::Unreachable("its configuration could not be read".into());
        let failed_lately = self
            .failed_at
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_some_and(|at| at.elapsed() < SsoSettings::FAILURE_LIFETIME);
        if failed_lately {
            return Err(unreachable());
        }
        let issuer = IssuerUrl::new(self.settings.issuer.clone())
            .map_err(|e| SsoError::Refused(format!("the issuer address is not valid: {e}")))?;
        let metadata = ProviderMetadataWithLogout::discover_async(issuer, &self.http)
            .await
            .map_err(|e| {
                tracing::warn!(provider = %self.settings.name, error = %error_chain(&e), "its configuration could not be read");
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                unreachable()
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
            linking: None,
        };
        Ok((url, pending))
    }

    /// Where the provider signs people out, when it says (RP-initiated
    /// logout), with bucketdesk's sign-in page to come back to, and the ID
    /// token of the sign-in as `id_token_hint` when it is known (Okta
    /// requires it; others then skip their "sign out?" question).
    pub async fn end_session_url(&self, come_back_to: &str, id_token: Option<&str>) -> Option<Url> {
        let discovered = self.discovered(false).await.ok()?;
        let mut url = discovered.end_session.clone()?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("client_id", &self.settings.client_id)
                .append_pair("post_logout_redirect_uri", come_back_to);
            if let Some(token) = id_token {
                query.append_pair("id_token_hint", token);
            }
        }
        Some(url)
    }

    /// Trades the code the browser brought back (with the PKCE verifier)
    /// for tokens, checks the ID token, and says who signed in (with the ID
    /// token as it came, for signing out there later).
    pub async fn identity(
        &self,
        code: &str,
        pending: &PendingSso,
    ) -> Result<(SsoIdentity, String), SsoError> {
        tokio::time::timeout(3 * SsoSettings::TIMEOUT, self.ask_identity(code, pending))
            .await
            .unwrap_or_else(|_| Err(SsoError::Unreachable("it did not answer in time".into())))
    }

    async fn ask_identity(
        &self,
        code: &str,
        pending: &PendingSso,
    ) -> Result<(SsoIdentity, String), SsoError> {
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
                other => {
                    tracing::warn!(provider = %self.settings.name, error = %error_chain(&other), "the code could not be exchanged");
                    SsoError::Unreachable("its token endpoint did not answer as it should".into())
                }
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
        // the other claims of the same, checked, token (admin claim, Google's `hd`)
        let token_claims = payload_of(&id_token.to_string());
        let mut identity = identity_of(&self.settings, &claims, &token_claims);
        let admin_in_token = self
            .settings
            .admin_claim
            .as_ref()
            .and_then(|(claim, value)| holds(token_claims.get(claim), value));
        let wants_user_info = identity.email.is_none()
            || (self.settings.admin_claim.is_some() && admin_in_token.is_none());
        if wants_user_info && discovered.client.user_info_url().is_some() {
            let info: UserInfoClaims<OtherClaims, CoreGenderClaim> = discovered
                .client
                .user_info(
                    tokens.access_token().clone(),
                    Some(claims.subject().clone()),
                )
                .map_err(|e| SsoError::Refused(e.to_string()))?
                .request_async(&self.http)
                .await
                .map_err(|e| match e {
                    openidconnect::UserInfoError::ClaimsVerification(_) => SsoError::Refused(
                        "its user info is about someone else than its ID token".into(),
                    ),
                    other => {
                        tracing::warn!(provider = %self.settings.name, error = %error_chain(&other), "its user info could not be read");
                        SsoError::Unreachable("its user info could not be read".into())
                    }
                })?;
            // the address and whether it is verified come from one place
            if identity.email.is_none() {
                identity.email = info.email().map(|e| e.as_str().to_owned());
                identity.email_verified = info.email_verified();
            }
            if admin_in_token.is_none()
                && let Some((claim, value)) = &self.settings.admin_claim
            {
                identity.admin = holds(info.additional_claims().claims.get(claim), value);
            }
        } else {
            identity.admin = admin_in_token;
        }
        if identity.email_verified.is_none() && self.settings.trust_email {
            identity.email_verified = Some(true);
        }
        Ok((identity, id_token.to_string()))
    }
}

/// Every claim of a JWT's payload (read only once its signature and claims
/// were checked).
fn payload_of(jwt: &str) -> HashMap<String, serde_json::Value> {
    use base64::Engine;
    jwt.split('.')
        .nth(1)
        .and_then(|payload| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .ok()
        })
        .and_then(|json| serde_json::from_slice(&json).ok())
        .unwrap_or_default()
}

/// Who the ID token says signed in.
fn identity_of(
    settings: &SsoSettings,
    claims: &CoreIdTokenClaims,
    token_claims: &HashMap<String, serde_json::Value>,
) -> SsoIdentity {
    // Google: an address in a Workspace domain is vouched for by `hd`, not
    // by the address itself (anyone can have a verified @example.com account)
    let google = settings.issuer.trim_end_matches('/') == "https://accounts.google.com";
    SsoIdentity {
        provider: settings.name.clone(),
        issuer: claims.issuer().as_str().to_owned(),
        subject: claims.subject().as_str().to_owned(),
        email: claims.email().map(|e| e.as_str().to_owned()),
        email_verified: claims.email_verified(),
        admin: None,
        allowed_domains: settings.allowed_domains.clone(),
        domain: if google {
            Some(
                token_claims
                    .get("hd")
                    .and_then(|hd| hd.as_str())
                    .unwrap_or_default()
                    .to_ascii_lowercase(),
            )
        } else {
            None
        },
        trust_email: settings.trust_email,
    }
}

/// Whether a claim is `value` or a list holding it; `None` when the claim
/// is not there at all (then nothing changes).
fn holds(claim: Option<&serde_json::Value>, value: &str) -> Option<bool> {
    match claim? {
        serde_json::Value::String(one) => Some(one == value),
        serde_json::Value::Array(many) => Some(many.iter().any(|v| v.as_str() == Some(value))),
        _ => Some(false),
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
        assert_eq!(holds(Some(&list), "bucketdesk-admins"), Some(true));
        assert_eq!(holds(Some(&list), "admins"), Some(false));
        assert_eq!(
            holds(Some(&serde_json::json!("admins")), "admins"),
            Some(true)
        );
        assert_eq!(holds(None, "admins"), None, "no claim: nothing changes");
    }
}
