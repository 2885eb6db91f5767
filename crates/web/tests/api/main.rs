//! Integration tests of the web application: the real router on a real port,
//! a fresh Postgres database per test, mail through a real SMTP conversation.
//! One module per area; each test name is the rule it checks.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

mod accounts;
mod api_authorization;
mod audit;
mod authorization;
mod buckets;
mod csrf;
mod files;
mod github;
mod health;
mod invites;
mod links;
mod pages;
mod roles;
mod sessions;
mod sign_in;
mod sign_in_limits;
mod team;
mod tokens;
mod workspaces;
