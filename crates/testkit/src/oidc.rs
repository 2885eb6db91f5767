//! A real OpenID Connect provider for the tests: the `oidc-provider` npm
//! package (`tests/browser/oidc-provider.mjs`) run by Node on a loopback
//! port, with bucketdesk's client and the accounts a test names. The test
//! chooses who signs in next, and can make the provider misbehave (see the
//! script) to check that bucketdesk refuses what it must.

use crate::{Browser, Page};
use bucketdesk_web::oidc::SsoSettings;
use secrecy::SecretString;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

pub const CLIENT_ID: &str = "bucketdesk";
pub const CLIENT_SECRET: &str = "a-test-client-secret-that-is-long-enough";

/// Someone the provider knows.
pub struct IdpAccount {
    pub id: &'static str,
    pub email: &'static str,
    pub email_verified: bool,
    pub groups: &'static [&'static str],
    /// Its claims come from the user-info endpoint only, not in the ID token.
    pub userinfo_only: bool,
}

pub struct OidcProvider {
    pub issuer: String,
    child: Child,
    http: reqwest::Client,
}

fn scripts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser")
}

impl OidcProvider {
    /// Starts the provider with these accounts. bucketdesk's callback
    /// (`/auth/sso/{name}/callback`) is allowed on any loopback port: the
    /// app starts after the provider, on a port of its own choosing.
    pub fn start(accounts: &[IdpAccount]) -> OidcProvider {
        let accounts: serde_json::Map<String, serde_json::Value> = accounts
            .iter()
            .map(|a| {
                (
                    a.id.to_owned(),
                    serde_json::json!({
                        "email": a.email,
                        "email_verified": a.email_verified,
                        "groups": a.groups,
                        "userinfo_only": a.userinfo_only,
                    }),
                )
            })
            .collect();
        let config = serde_json::json!({
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "redirect_uris": ["http://127.0.0.1/auth/sso/idp/callback"],
            "post_logout_redirect_uris": ["http://127.0.0.1/login?signed_out=1"],
            "accounts": accounts,
        });
        let script = scripts().join("oidc-provider.mjs");
        assert!(
            scripts().join("node_modules/oidc-provider").exists(),
            "oidc-provider is missing: run `npm ci --prefix tests/browser` (scripts/test does)"
        );
        let mut child = Command::new("node")
            .arg(&script)
            .env("OIDC_TEST_CONFIG", config.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("node runs the test OIDC provider (install Node.js)");
        let mut line = String::new();
        let mut output = BufReader::new(child.stdout.take().expect("its output"));
        output
            .read_line(&mut line)
            .expect("the provider says where it listens");
        // the rest of its output is read (and dropped) while it runs: a
        // closed pipe would stop it at its next line
        std::thread::spawn(move || std::io::copy(&mut output, &mut std::io::sink()));
        let issuer = line
            .strip_prefix("issuer ")
            .unwrap_or_else(|| panic!("the provider did not start: {line:?}"))
            .trim()
            .to_owned();
        OidcProvider {
            issuer,
            child,
            http: reqwest::Client::new(),
        }
    }

    /// bucketdesk's settings for this provider.
    pub fn settings(&self, name: &str) -> SsoSettings {
        SsoSettings {
            name: name.to_owned(),
            display_name: "Test IdP".to_owned(),
            issuer: self.issuer.clone(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from(CLIENT_SECRET.to_owned()),
            scopes: vec!["email".into(), "profile".into()],
            allowed_domains: Vec::new(),
            admin_claim: None,
            trust_email: false,
        }
    }

    async fn control(&self, path: &str) {
        let answer = self
            .http
            .post(format!("{}{path}", self.issuer))
            .send()
            .await
            .expect("the provider answers");
        assert!(answer.status().is_success(), "{path}: {}", answer.status());
    }

    /// Who signs in at the next interaction.
    pub async fn next_account(&self, id: &str) {
        self.control(&format!("/test/next?account={id}")).await;
    }

    /// `normal`, `tamper`, `wrong_aud`, `expired`, `unknown_key`, `replay`
    /// or `rotate` (see the script).
    pub async fn mode(&self, mode: &str) {
        self.control(&format!("/test/mode?mode={mode}")).await;
    }

    /// Signs `browser` in through the provider named `name`, as a person
    /// clicking its button would: bucketdesk's start, the provider's
    /// redirects (it signs in the account chosen), then bucketdesk's
    /// callback, whose answer is returned with the callback's path.
    pub async fn sign_in(&self, browser: &Browser, name: &str) -> (Page, String) {
        let start = browser.get(&format!("/auth/sso/{name}")).await;
        self.go_through(browser, start).await
    }

    /// Follows `start`, a bucketdesk answer that leads to the provider
    /// (a sign-in's start, or linking from the account page), through the
    /// provider and back to bucketdesk's callback, whose answer is returned
    /// with the callback's path.
    pub async fn go_through(&self, browser: &Browser, start: Page) -> (Page, String) {
        // each person signs in to the provider afresh (no earlier session there)
        let person = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a client");
        let mut at = start
            .location()
            .unwrap_or_else(|| panic!("the start leads to the provider: {start:?}"))
            .to_owned();
        for _ in 0..10 {
            if !at.starts_with(&self.issuer) {
                break;
            }
            let answer = person.get(&at).send().await.expect("the provider answers");
            let next = answer
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_else(|| panic!("the provider leads on from {at}"));
            at = url::Url::parse(&at)
                .and_then(|here| here.join(next))
                .expect("a URL")
                .to_string();
        }
        let callback = url::Url::parse(&at).expect("the callback URL");
        let path = format!(
            "{}?{}",
            callback.path(),
            callback.query().unwrap_or_default()
        );
        (browser.get(&path).await, path)
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
