//! Test helpers every test binary shares. Everything here is real: the app is
//! the production router on a real port, Postgres is a real (fresh) database,
//! mail goes through a real SMTP conversation into [`MailSink`].
//!
//! ```ignore
//! let app = TestApp::spawn().await;
//! let alice = app.sign_in_as("alice@example.com").await;
//! assert_eq!(alice.get("/").await.status, 200);
//! ```

mod app;
mod browser;
mod database;
mod db_proxy;
mod github;
mod nginx;
mod oidc;
mod smtp;

pub use app::{
    S3_ACCESS_KEY, S3_SECRET_KEY, STS_CALLER_KEY, STS_CALLER_SECRET, TestApp, TestAppBuilder,
};
pub use browser::{Browser, Page};
pub use database::{
    TestDatabase, admin_database_url, database_url, empty_database, fresh_database,
};
pub use db_proxy::DbProxy;
pub use github::{CLIENT_SECRET as FAKE_GITHUB_SECRET, FakeGithub, GithubMode, GithubPerson};
pub use nginx::{Nginx, free_port, nginx_binary};
pub use oidc::{IdpAccount, OidcProvider};
pub use smtp::{MailSink, ReceivedMail};

/// The instance key tests use, so no test waits for RSA-4096 key generation.
pub const FIXTURE_KEY_PEM: &str = include_str!("../fixtures/instance-key.pem");

/// The 6-digit code in a sign-in mail's text.
pub fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .map(str::to_owned)
}

/// The sign-in link (`/login/email/…`) in a sign-in mail's text, as a path.
pub fn sign_in_link_in(text: &str) -> Option<String> {
    let start = text.find("/login/email/")?;
    text[start..].split_whitespace().next().map(str::to_owned)
}
