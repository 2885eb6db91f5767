//! Sign-in with GitHub (DESIGN.md flow 1, S5): the OAuth authorization-code
//! flow with state and PKCE (S256), then who the person is on GitHub: their
//! numeric id, login and email addresses (only verified ones are used).
//! The web and API addresses are settings, so GitHub Enterprise Server works.
//! Which bucketdesk account that person has is the core's rule
//! (`bucketdesk_core::sign_in::github_sign_in`).

use bucketdesk_core::sign_in::GithubIdentity;
use oauth2::basic::BasicClient;
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RequestTokenError, Scope, TokenResponse,
    TokenUrl,
};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// The GitHub OAuth app bucketdesk signs in with.
#[derive(Clone, Debug)]
pub struct GithubSettings {
    pub client_id: String,
    pub client_secret: SecretString,
    /// `https://github.com`, or a GitHub Enterprise Server's address.
    pub web_url: Url,
    /// `https://api.github.com`, or `https://github.example.com/api/v3`.
    pub api_url: Url,
    /// Longest wait for one answer from GitHub.
    pub timeout: Duration,
    /// How long a started sign-in may take (S5: 10 minutes).
    pub flow_lifetime: Duration,
}

impl GithubSettings {
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
    pub const FLOW_LIFETIME: Duration = Duration::from_secs(10 * 60);
}

/// What the browser carries from the start of a sign-in to its end (kept in
/// its session, used once).
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingFlow {
    pub state: String,
    pub verifier: String,
    /// Unix seconds.
    pub started_at: i64,
    /// Set when a signed-in person links GitHub to their account.
    pub linking: Option<uuid::Uuid>,
    /// Where to go once signed in (a path on this site).
    #[serde(default)]
    pub next: Option<String>,
}

impl std::fmt::Debug for PendingFlow {
    // the state and the PKCE verifier are secrets of the flow
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingFlow")
            .field("started_at", &self.started_at)
            .field("linking", &self.linking)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum GithubError {
    /// GitHub answered, and said no (a bad or used code, a wrong client secret).
    #[error(
        "GitHub refused the sign-in ({0}). Start again; if it keeps happening, tell the person who runs bucketdesk."
    )]
    Refused(String),
    /// GitHub did not answer in time, or failed.
    #[error(
        "GitHub could not be reached just now ({0}). Try again in a few minutes, or sign in with an email code."
    )]
    Unreachable(String),
}

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

pub struct Github {
    client: Client,
    http: reqwest::Client,
    api_url: String,
    flow_lifetime: Duration,
    /// For the three calls of a sign-in together.
    timeout: Duration,
}

#[derive(Deserialize)]
struct GithubUser {
    id: i64,
    login: String,
}

#[derive(Deserialize)]
struct GithubEmail {
    email: String,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    primary: bool,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
}

impl Github {
    /// `callback` is `BUCKETDESK_PUBLIC_URL` + `/auth/github/callback`, exactly.
    pub fn new(settings: &GithubSettings, callback: &str) -> Result<Self, String> {
        let web = settings.web_url.as_str().trim_end_matches('/');
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(
                AuthUrl::new(format!("{web}/login/oauth/authorize")).map_err(|e| e.to_string())?,
            )
            .set_token_uri(
                TokenUrl::new(format!("{web}/login/oauth/access_token"))
                    .map_err(|e| e.to_string())?,
            )
            .set_redirect_uri(RedirectUrl::new(callback.to_owned()).map_err(|e| e.to_string())?);
        let http = reqwest::Client::builder()
            // the token endpoint must not send us elsewhere (oauth2's advice)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(settings.timeout)
            .user_agent("bucketdesk")
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Github {
            client,
            http,
            api_url: settings.api_url.as_str().trim_end_matches('/').to_owned(),
            flow_lifetime: settings.flow_lifetime,
            timeout: settings.timeout,
        })
    }

    /// Has a flow started at `started_at` (Unix seconds) outlived its time?
    pub fn expired(&self, started_at: i64) -> bool {
        time::OffsetDateTime::now_utc().unix_timestamp() - started_at
            >= self.flow_lifetime.as_secs() as i64
    }

    /// Where to send the browser, and what its session must remember.
    pub fn begin(&self, linking: Option<uuid::Uuid>, next: Option<String>) -> (Url, PendingFlow) {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scope(Scope::new("read:user".into()))
            .add_scope(Scope::new("user:email".into()))
            .set_pkce_challenge(challenge)
            .url();
        let pending = PendingFlow {
            state: state.secret().clone(),
            verifier: verifier.secret().clone(),
            started_at: time::OffsetDateTime::now_utc().unix_timestamp(),
            linking,
            next,
        };
        (url, pending)
    }

    /// Trades the code GitHub gave the browser (and the PKCE verifier) for
    /// an access token, then asks who it belongs to: three calls, which
    /// together get the configured timeout.
    pub async fn identity(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<GithubIdentity, GithubError> {
        tokio::time::timeout(self.timeout, self.ask_identity(code, verifier))
            .await
            .unwrap_or_else(|_| Err(GithubError::Unreachable("it did not answer in time".into())))
    }

    async fn ask_identity(
        &self,
        code: &str,
        verifier: &str,
    ) -> Result<GithubIdentity, GithubError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => {
                    GithubError::Refused(answer.error().to_string())
                }
                // GitHub answers errors with HTTP 200 and an `error` field
                RequestTokenError::Parse(_, body) => {
                    match serde_json::from_slice::<ErrorAnswer>(&body) {
                        Ok(answer) => GithubError::Refused(answer.error),
                        Err(_) => GithubError::Unreachable("an answer that is not a token".into()),
                    }
                }
                RequestTokenError::Request(oauth2::HttpClientError::Reqwest(e)) => {
                    GithubError::Unreachable(without_url(*e))
                }
                RequestTokenError::Request(e) => GithubError::Unreachable(e.to_string()),
                RequestTokenError::Other(e) => GithubError::Unreachable(e),
            })?;
        let token = token.access_token().secret();
        let user: GithubUser = self.get(token, "/user").await?;
        let mut emails: Vec<GithubEmail> = self.get(token, "/user/emails").await?;
        emails.retain(|e| e.verified);
        emails.sort_by_key(|e| !e.primary);
        Ok(GithubIdentity {
            id: user.id,
            login: user.login,
            verified_emails: emails.into_iter().map(|e| e.email).collect(),
        })
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        path: &str,
    ) -> Result<T, GithubError> {
        let answer = self
            .http
            .get(format!("{}{path}", self.api_url))
            .bearer_auth(token)
            .header("accept", "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| GithubError::Unreachable(without_url(e)))?;
        let status = answer.status();
        if matches!(status.as_u16(), 401 | 403 | 404) {
            // not a passing fault: the app lacks a permission, or the API address is wrong
            return Err(GithubError::Refused(format!(
                "{path} answered {status}: check that the OAuth app may read `user:email` and that GITHUB_API_URL is right"
            )));
        }
        if !status.is_success() {
            return Err(GithubError::Unreachable(format!(
                "{path} answered {status}"
            )));
        }
        answer
            .json()
            .await
            .map_err(|e| GithubError::Unreachable(without_url(e)))
    }
}

/// A reqwest error in words, without the URL it was about.
fn without_url(e: reqwest::Error) -> String {
    if e.is_timeout() {
        "it did not answer in time".into()
    } else {
        e.without_url().to_string()
    }
}
