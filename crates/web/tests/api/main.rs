//! Integration tests of the web application: the real router on a real port,
//! a fresh Postgres database per test, mail through a real SMTP conversation.
//! One module per area; each test name is the rule it checks.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

mod accounts;
mod api_authorization;
mod audit;
mod authorization;
mod buckets;
mod chunked_uploads;
mod csrf;
mod files;
mod folders;
mod github;
mod health;
mod invites;
mod links;
mod pages;
mod role_buckets;
mod roles;
mod second_factor;
mod sessions;
mod sign_in;
mod sign_in_limits;
mod sso;
mod team;
mod tokens;
mod workspaces;
mod zips;

/// Where a signed-out GET of `path` is sent: the sign-in page, which comes
/// back to `path` afterwards.
fn sign_in_then(path: &str) -> String {
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    format!("/login?next={next}")
}
