//! Managing revocable links (DESIGN.md flows 10-11, S14), for the pages,
//! the API and the CLI: make a download link (anyone who may download) or
//! an upload link (Editors and above), list and show the links a person may
//! manage (their own, and every link on a bucket they administer), extend
//! and revoke. Each needs the `share` scope and writes its audit event.
//!
//! A token is 256 random bits. The database keeps its SHA-256, to find the
//! link, and a copy sealed under a key derived from the instance key, so
//! the creator (and the bucket's Admins) can copy the link again.

mod create;
mod manage;
mod password;
pub mod visit;

pub use create::{check_reach, check_target, create_download, create_upload};

/// How the metrics name a link's kind.
fn counted(kind: bucketdesk_db::links::LinkKind) -> bucketdesk_metrics::LinkKind {
    match kind {
        bucketdesk_db::links::LinkKind::Download => bucketdesk_metrics::LinkKind::Download,
        bucketdesk_db::links::LinkKind::Upload => bucketdesk_metrics::LinkKind::Upload,
    }
}
pub use manage::{arrivals, claim_arrival_mails, extend, find, list, revoke, sharing, visits};
pub use password::{hash_password, password_matches};

use bucketdesk_db::links::{Link, LinkKind};
use bucketdesk_vault::TokenBox;
use std::time::Duration;
use uuid::Uuid;

/// The most files one link can share by name (a folder link has no limit).
pub const MAX_KEYS: usize = 1000;

/// The instance's limits on links (from its configuration).
#[derive(Debug, Clone, Copy)]
pub struct LinkLimits {
    /// The longest lifetime a link may have.
    pub max_lifetime: Duration,
    /// The largest file an upload link may be limited to.
    pub max_file_bytes: u64,
}

/// A new download link: files by name, or one folder ("" is the whole bucket).
#[derive(Debug, Default, Clone)]
pub struct DownloadLink {
    pub keys: Vec<String>,
    pub folder: Option<String>,
    pub options: LinkOptions,
    pub max_downloads: Option<i32>,
    /// Mail the creator at the first download.
    pub notify_first_download: bool,
}

/// A new upload link into a folder ("" is the top of the bucket).
#[derive(Debug, Default, Clone)]
pub struct UploadLink {
    pub folder: String,
    pub options: LinkOptions,
    pub max_files: Option<i32>,
    pub max_file_bytes: Option<u64>,
    /// Mail the creator when files arrive (at most one mail every 10
    /// minutes, listing what arrived).
    pub notify_arrivals: bool,
}

/// What both kinds of link have.
#[derive(Debug, Default, Clone)]
pub struct LinkOptions {
    /// `None`: the default (7 days, or the instance maximum if shorter).
    pub lifetime: Option<Duration>,
    /// At least 6 characters when set.
    pub password: Option<String>,
    pub note: String,
    /// The networks it may be opened from, as typed (CIDR ranges or
    /// addresses); none: from anywhere.
    pub networks: String,
    /// The email addresses it is for, as typed; none: anyone with the link.
    /// A visitor proves one with a mailed code before it opens.
    pub recipients: String,
}

/// A link just made: its id and its token (shown to its creator).
#[derive(Debug)]
pub struct Created {
    pub id: Uuid,
    pub token: String,
    pub kind: LinkKind,
}

/// The address path of a link: `/s/{token}` or `/u/{token}`.
pub fn path(kind: LinkKind, token: &str) -> String {
    match kind {
        LinkKind::Download => format!("/s/{token}"),
        LinkKind::Upload => format!("/u/{token}"),
    }
}

/// A link's token, unsealed for copying; `None` when it cannot be opened
/// (it was sealed before the instance key was rotated).
pub fn token(tokens: &TokenBox, link: &Link) -> Option<String> {
    let token = tokens.open(&link.token_sealed, link.id.as_bytes())?;
    String::from_utf8(token.to_vec()).ok()
}

/// What a link shares, in words: a file name, a folder, "3 files".
pub fn describe(link: &Link) -> String {
    use bucketdesk_domain::object::file_name;
    match link.kind() {
        LinkKind::Upload => match link.folder.as_deref() {
            Some("") | None => "uploads to the top of the bucket".to_owned(),
            Some(folder) => format!("uploads to {folder}"),
        },
        LinkKind::Download => match (link.folder.as_deref(), link.keys.as_slice()) {
            (Some(""), _) => "the whole bucket".to_owned(),
            (Some(folder), _) => format!("the folder {folder}"),
            (None, [key]) => file_name(key).to_owned(),
            (None, keys) => format!("{} files", keys.len()),
        },
    }
}
