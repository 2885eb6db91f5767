//! Extractors. A handler that names [`CurrentUser`] cannot run for someone
//! who is not signed in; [`ClientInfo`] is the caller's address as the
//! trusted-proxy rules see it; [`CsrfToken`] is what forms must send back.

mod access;
mod client;
mod csrf;
mod current_user;
mod form;

pub use access::{BucketAccess, WorkspaceAccess};
pub use client::{ClientInfo, client_ip, is_trusted_proxy};
pub use csrf::CsrfToken;
pub use current_user::{CurrentUser, MaybeUser};
pub use form::Form;
