//! A small fake GitHub on a real port: the OAuth endpoints
//! (`/login/oauth/authorize`, `/login/oauth/access_token`) and the two API
//! calls bucketdesk makes (`/user`, `/user/emails`). It behaves like GitHub
//! where it matters: it checks the PKCE verifier against the challenge,
//! answers token errors with HTTP 200 and an `error` field, and consents at
//! once (or refuses, or fails, as the test says).

use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use bucketdesk_web::github_oauth::GithubSettings;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub const CLIENT_ID: &str = "bucketdesk-test-client";
pub const CLIENT_SECRET: &str = "bucketdesk-test-secret";

/// Someone on GitHub: numeric id, login, (email, verified, primary).
#[derive(Debug, Clone)]
pub struct GithubPerson {
    pub id: i64,
    pub login: String,
    pub emails: Vec<(String, bool, bool)>,
}

impl GithubPerson {
    /// One person with one verified, primary email.
    pub fn verified(id: i64, login: &str, email: &str) -> Self {
        GithubPerson {
            id,
            login: login.to_owned(),
            emails: vec![(email.to_owned(), true, true)],
        }
    }
}

/// How the fake answers the next sign-ins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GithubMode {
    Consent,
    /// The person clicks "Cancel" on GitHub's consent page.
    Deny,
    /// The token endpoint fails with HTTP 500.
    Broken,
    /// The token endpoint answers after this long.
    Slow(Duration),
}

#[derive(Default)]
struct Fake {
    person: Option<GithubPerson>,
    mode: Option<GithubMode>,
    /// code -> (PKCE challenge, redirect URI, who consented)
    codes: HashMap<String, (String, String, GithubPerson)>,
    tokens: HashMap<String, GithubPerson>,
    verifiers: Vec<String>,
    scopes: Vec<String>,
}

#[derive(Clone)]
pub struct FakeGithub {
    pub url: String,
    fake: Arc<Mutex<Fake>>,
}

impl FakeGithub {
    pub async fn start() -> Self {
        Self::start_on("127.0.0.1:0").await
    }

    /// The fake on a chosen address (the `fake-github` command).
    pub async fn start_on(bind: &str) -> Self {
        let fake = Arc::new(Mutex::new(Fake::default()));
        let router = Router::new()
            .route("/login/oauth/authorize", get(authorize))
            .route("/login/oauth/access_token", post(access_token))
            .route("/user", get(user))
            .route("/user/emails", get(emails))
            .with_state(fake.clone());
        let listener = tokio::net::TcpListener::bind(bind)
            .await
            .expect("bind the fake GitHub");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        FakeGithub { url, fake }
    }

    /// The settings that point bucketdesk at this fake.
    pub fn settings(&self) -> GithubSettings {
        GithubSettings {
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned().into(),
            web_url: self.url.parse().expect("URL"),
            api_url: self.url.parse().expect("URL"),
            timeout: Duration::from_secs(2),
            flow_lifetime: GithubSettings::FLOW_LIFETIME,
        }
    }

    /// Who is signed in to GitHub in "the browser".
    pub fn sign_in_as(&self, person: GithubPerson) {
        self.lock().person = Some(person);
    }

    pub fn set_mode(&self, mode: GithubMode) {
        self.lock().mode = Some(mode);
    }

    /// Every PKCE verifier bucketdesk sent to the token endpoint.
    pub fn verifiers_seen(&self) -> Vec<String> {
        self.lock().verifiers.clone()
    }

    /// Every scope list bucketdesk asked for.
    pub fn scopes_asked(&self) -> Vec<String> {
        self.lock().scopes.clone()
    }

    /// Follows a sign-in (or link) that `start` began (its answer redirects
    /// here): through the fake's consent and back to bucketdesk's callback.
    /// Returns the callback's answer.
    pub async fn go_through(&self, browser: &crate::Browser, start: crate::Page) -> crate::Page {
        let to_github = start
            .location()
            .unwrap_or_else(|| panic!("a redirect to GitHub, got {}: {}", start.status, start.body))
            .to_owned();
        assert!(to_github.starts_with(&self.url), "{to_github}");
        let back = browser.get_url(&to_github).await;
        let callback = back
            .location()
            .unwrap_or_else(|| {
                panic!(
                    "GitHub sent the browser back, got {}: {}",
                    back.status, back.body
                )
            })
            .to_owned();
        browser.get_url(&callback).await
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Fake> {
        self.fake.lock().expect("fake GitHub lock")
    }
}

type Shared = State<Arc<Mutex<Fake>>>;

#[derive(Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: String,
    scope: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

async fn authorize(State(fake): Shared, Query(q): Query<AuthorizeQuery>) -> Response {
    let mut fake = fake.lock().expect("lock");
    if q.client_id != CLIENT_ID {
        return (StatusCode::NOT_FOUND, "unknown client").into_response();
    }
    fake.scopes.push(q.scope.unwrap_or_default());
    let state = url::form_urlencoded::byte_serialize(q.state.as_bytes()).collect::<String>();
    if fake.mode == Some(GithubMode::Deny) {
        return Redirect::to(&format!(
            "{}?error=access_denied&error_description=The+user+has+denied+your+application+access.&state={state}",
            q.redirect_uri
        ))
        .into_response();
    }
    let (Some(challenge), Some("S256")) = (q.code_challenge, q.code_challenge_method.as_deref())
    else {
        return (StatusCode::BAD_REQUEST, "PKCE S256 expected").into_response();
    };
    let Some(person) = fake.person.clone() else {
        return (
            StatusCode::BAD_REQUEST,
            "nobody is signed in to the fake GitHub",
        )
            .into_response();
    };
    let code = random();
    fake.codes
        .insert(code.clone(), (challenge, q.redirect_uri.clone(), person));
    Redirect::to(&format!("{}?code={code}&state={state}", q.redirect_uri)).into_response()
}

#[derive(Deserialize)]
struct TokenForm {
    code: String,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

async fn access_token(
    State(fake): Shared,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let mode = fake.lock().expect("lock").mode;
    match mode {
        Some(GithubMode::Broken) => {
            return (
                StatusCode::INTERNAL_SERVER_ERROR,
                "GitHub is having a bad day",
            )
                .into_response();
        }
        Some(GithubMode::Slow(delay)) => tokio::time::sleep(delay).await,
        _ => {}
    }
    let mut fake = fake.lock().expect("lock");
    // the client authenticates with HTTP basic auth or form fields
    let basic = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
        .and_then(|v| String::from_utf8(v).ok());
    let form_pair = format!(
        "{}:{}",
        form.client_id.clone().unwrap_or_default(),
        form.client_secret.clone().unwrap_or_default()
    );
    let expected = format!("{CLIENT_ID}:{CLIENT_SECRET}");
    if basic.as_deref() != Some(expected.as_str()) && form_pair != expected {
        return Json(json!({ "error": "incorrect_client_credentials" })).into_response();
    }
    let verifier = form.code_verifier.unwrap_or_default();
    fake.verifiers.push(verifier.clone());
    let Some((challenge, redirect_uri, person)) = fake.codes.remove(&form.code) else {
        // GitHub's way: HTTP 200 with an error field
        return Json(json!({
            "error": "bad_verification_code",
            "error_description": "The code passed is incorrect or expired."
        }))
        .into_response();
    };
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(Sha256::digest(verifier.as_bytes()));
    if form.redirect_uri.as_deref() != Some(redirect_uri.as_str()) {
        return Json(json!({ "error": "redirect_uri_mismatch" })).into_response();
    }
    if computed != challenge {
        return Json(json!({ "error": "bad_verification_code", "error_description": "PKCE verification failed" }))
            .into_response();
    }
    let token = format!("gho_{}", random());
    fake.tokens.insert(token.clone(), person);
    Json(json!({ "access_token": token, "token_type": "bearer", "scope": "read:user,user:email" }))
        .into_response()
}

fn person_for(fake: &Shared, headers: &HeaderMap) -> Option<GithubPerson> {
    let token = headers
        .get("authorization")?
        .to_str()
        .ok()?
        .strip_prefix("Bearer ")?
        .to_owned();
    fake.lock().expect("lock").tokens.get(&token).cloned()
}

async fn user(fake: Shared, headers: HeaderMap) -> Response {
    match person_for(&fake, &headers) {
        Some(p) => Json(json!({ "id": p.id, "login": p.login })).into_response(),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "message": "Bad credentials" })),
        )
            .into_response(),
    }
}

async fn emails(fake: Shared, headers: HeaderMap) -> Response {
    match person_for(&fake, &headers) {
        Some(p) => Json(
            p.emails
                .iter()
                .map(|(email, verified, primary)| {
                    json!({ "email": email, "verified": verified, "primary": primary, "visibility": null })
                })
                .collect::<Vec<_>>(),
        )
        .into_response(),
        None => (StatusCode::UNAUTHORIZED, Json(json!({ "message": "Bad credentials" }))).into_response(),
    }
}
