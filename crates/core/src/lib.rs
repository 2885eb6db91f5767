//! bucketdesk's application core, without HTTP: the pages (and, next, the
//! JSON API and the command-line client) are faces over it.
//!
//! - [`access`]: who may do what. A [`access::BucketGrant`] or
//!   [`access::WorkspaceGrant`] comes only from the access check, and a role
//!   requirement turns a grant into a capability ([`access::Can`]) that
//!   operations demand in their signature.
//! - [`s3_clients`]: the S3 client of a bucket, reachable only through a grant.
//! - [`uploads`]: what every upload of the process shares (memory budget,
//!   journal, stop signal) and the clean-up of abandoned multipart uploads;
//!   [`resumable`]: uploads a chunk at a time, resumed after a reload.
//! - [`Actor`] and [`Origin`]: who acts (a person through a session or a
//!   token, with its scopes) and from where, for every operation's audit event.
//! - [`sign_in`]: one-time codes by mail and GitHub identities matched to
//!   accounts; [`sessions`]: a person's signed-in browsers, listed and ended;
//!   [`second_factor`]: authenticator apps, recovery codes and the
//!   workspace rule that asks for them.
//! - [`tokens`]: personal access tokens for the API and the command-line client.
//! - [`files`]: reading a bucket's files (listing, details, a download URL),
//!   [`presign`]: presigned links (one, or a batch), and [`changes`]: an
//!   Editor's changes (uploads, folders, renames and moves, deletes).
//! - [`archive`]: a folder or a selection as one zip, streamed.
//! - [`links`]: revocable download and upload links.
//! - [`members`] and [`invitations`]: who is in a workspace with which
//!   role, and inviting people by email; [`workspaces`]: creating,
//!   renaming and deleting them; [`buckets`]: connecting, settings and
//!   disconnecting.
//! - [`audit_log`]: audit events that stand on their own, written in batches.
//! - [`CoreError`]: the one error of the core; each face renders it.
//!
//! No web framework is in this crate's dependency tree (a test checks).

pub mod access;
mod actor;
pub mod admin;
pub mod archive;
pub mod audit_log;
pub mod buckets;
pub mod changes;
pub mod direct_uploads;
mod error;
pub mod files;
pub mod invitations;
pub mod links;
pub mod members;
pub mod passkeys;
pub mod presign;
pub mod random_token;
pub mod resumable;
pub mod s3_clients;
pub mod second_factor;
pub mod sessions;
pub mod sign_in;
pub mod thumbnails;
pub mod tokens;
pub mod uploads;
pub mod workspaces;

pub use actor::{Actor, Origin, Via};
pub use error::{CoreError, Denied, FieldError};
