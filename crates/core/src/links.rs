//! Managing revocable links (DESIGN.md flows 10-11, S14), for the pages,
//! the API and the CLI: make a download link (anyone who may download) or
//! an upload link (Editors and above), list and show the links a person may
//! manage (their own, and every link on a bucket they administer), extend
//! and revoke. Each needs the `share` scope and writes its audit event.
//!
//! A token is 256 random bits. The database keeps its SHA-256, to find the
//! link, and a copy sealed under a key derived from the instance key, so
//! the creator (and the bucket's Admins) can copy the link again.

use crate::access::{BucketGrant, Can, Editor, Viewer, WorkspaceGrant};
use crate::actor::{Actor, Origin};
use crate::random_token::new_token;
use crate::{CoreError, FieldError};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use bucketdesk_db::links::{self as rows, Link, LinkKind, NewLink};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::link::{self as rules, LinkState, describe_duration};
use bucketdesk_domain::object::{check_folder_path, check_readable_key};
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_storage::Provider;
use bucketdesk_vault::TokenBox;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;
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
}

/// What both kinds of link have.
#[derive(Debug, Default, Clone)]
pub struct LinkOptions {
    /// `None`: the default (7 days, or the instance maximum if shorter).
    pub lifetime: Option<Duration>,
    /// At least 6 characters when set.
    pub password: Option<String>,
    pub note: String,
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

/// Makes a download link to files or a folder of the bucket.
pub async fn create_download(
    db: &PgPool,
    tokens: &TokenBox,
    can: &Can<'_, Viewer, BucketGrant>,
    actor: &Actor,
    origin: &Origin,
    limits: &LinkLimits,
    link: DownloadLink,
) -> Result<Created, CoreError> {
    can.may(Scope::Share)?;
    let mut problems = Vec::new();
    if let Err(problem) = check_target(can, link.folder.as_deref(), &link.keys) {
        problems.push(problem);
    }
    if link.max_downloads.is_some_and(|n| n < 1) {
        problems.push(FieldError {
            field: "max_downloads",
            code: "out_of_range",
            message: "The download limit is a whole number of 1 or more, or none.".into(),
        });
    }
    let checked = check_options(&link.options, limits, problems)?;
    let spec = Spec {
        kind: LinkKind::Download,
        folder: link.folder.as_deref(),
        keys: &link.keys,
        max_downloads: link.max_downloads,
        max_files: None,
        max_file_bytes: None,
        notify_first_download: link.notify_first_download,
    };
    insert(db, tokens, can, actor, origin, &link.options, checked, spec).await
}

/// Makes an upload link into a folder of the bucket.
pub async fn create_upload(
    db: &PgPool,
    tokens: &TokenBox,
    can: &Can<'_, Editor, BucketGrant>,
    actor: &Actor,
    origin: &Origin,
    limits: &LinkLimits,
    link: UploadLink,
) -> Result<Created, CoreError> {
    can.may(Scope::Share)?;
    let mut problems = Vec::new();
    if let Err(message) = check_folder_path(&link.folder) {
        problems.push(FieldError {
            field: "folder",
            code: "invalid",
            message,
        });
    }
    if link.max_files.is_some_and(|n| n < 1) {
        problems.push(FieldError {
            field: "max_files",
            code: "out_of_range",
            message: "The number of files is a whole number of 1 or more, or none.".into(),
        });
    }
    if link
        .max_file_bytes
        .is_some_and(|b| b < 1 || b > limits.max_file_bytes)
    {
        problems.push(FieldError {
            field: "max_file_bytes",
            code: "out_of_range",
            message: format!(
                "The largest file size is from 1 byte to {} bytes on this server, or none.",
                limits.max_file_bytes
            ),
        });
    }
    let checked = check_options(&link.options, limits, problems)?;
    let spec = Spec {
        kind: LinkKind::Upload,
        folder: Some(&link.folder),
        keys: &[],
        max_downloads: None,
        max_files: link.max_files,
        max_file_bytes: link.max_file_bytes,
        notify_first_download: false,
    };
    insert(db, tokens, can, actor, origin, &link.options, checked, spec).await
}

/// What a download link would share: files by name, or one folder (S19: a
/// folder path with no `.`, `..` or empty parts; files with such parts
/// never on file-system backed storage).
pub fn check_target(
    grant: &BucketGrant,
    folder: Option<&str>,
    keys: &[String],
) -> Result<(), FieldError> {
    let invalid = |field, code, message: String| FieldError {
        field,
        code,
        message,
    };
    match folder {
        Some(_) if !keys.is_empty() => Err(invalid(
            "keys",
            "files_and_folder",
            "Choose either files or one folder to share.".into(),
        )),
        Some(folder) => {
            check_folder_path(folder).map_err(|message| invalid("folder", "invalid", message))
        }
        None if keys.is_empty() => Err(invalid(
            "keys",
            "nothing_chosen",
            "Choose at least one file to share: tick it in the file list.".into(),
        )),
        None if keys.len() > MAX_KEYS => Err(invalid(
            "keys",
            "too_many",
            format!(
                "One link can share at most {MAX_KEYS} files by name; share their folder instead."
            ),
        )),
        None => {
            let file_system =
                Provider::parse(&grant.bucket().provider).is_some_and(Provider::file_system_backed);
            for key in keys {
                check_readable_key(key, file_system)
                    .map_err(|message| invalid("keys", "invalid", message))?;
                if key.ends_with('/') {
                    return Err(invalid(
                        "keys",
                        "is_a_folder",
                        format!("\"{key}\" is a folder: share it as a folder."),
                    ));
                }
            }
            Ok(())
        }
    }
}

/// The lifetime, note and password hash of a new link, or every problem
/// found with the request (with `problems` found before).
struct Checked {
    lifetime: Duration,
    note: String,
}

fn check_options(
    options: &LinkOptions,
    limits: &LinkLimits,
    mut problems: Vec<FieldError>,
) -> Result<Checked, CoreError> {
    let default = rules::DEFAULT_LIFETIME.min(limits.max_lifetime);
    let lifetime = options.lifetime.unwrap_or(default);
    if lifetime.is_zero() || lifetime > limits.max_lifetime {
        problems.push(FieldError {
            field: "expires_in",
            code: "out_of_range",
            message: format!(
                "A link lives from 1 second to {} on this server; choose a time in that range.",
                describe_duration(limits.max_lifetime)
            ),
        });
    }
    let note = rules::note(&options.note).unwrap_or_else(|message| {
        problems.push(FieldError {
            field: "note",
            code: "invalid",
            message,
        });
        String::new()
    });
    if let Some(password) = &options.password
        && let Err(message) = rules::password(password)
    {
        problems.push(FieldError {
            field: "password",
            code: "too_short_or_long",
            message,
        });
    }
    if problems.is_empty() {
        Ok(Checked { lifetime, note })
    } else {
        Err(CoreError::Invalid(problems))
    }
}

/// The parts that differ between the kinds of link.
struct Spec<'a> {
    kind: LinkKind,
    folder: Option<&'a str>,
    keys: &'a [String],
    max_downloads: Option<i32>,
    max_files: Option<i32>,
    max_file_bytes: Option<u64>,
    notify_first_download: bool,
}

#[allow(clippy::too_many_arguments)]
async fn insert(
    db: &PgPool,
    tokens: &TokenBox,
    grant: &BucketGrant,
    actor: &Actor,
    origin: &Origin,
    options: &LinkOptions,
    checked: Checked,
    spec: Spec<'_>,
) -> Result<Created, CoreError> {
    let (token, hash) = new_token();
    let id = Uuid::new_v4();
    let sealed = tokens.seal(token.as_bytes(), id.as_bytes());
    let password_hash = match options.password.as_deref().filter(|p| !p.is_empty()) {
        Some(password) => Some(hash_password(password.to_owned()).await?),
        None => None,
    };
    let bucket = grant.bucket();
    let workspace = WorkspaceId(bucket.workspace_id);
    let new = NewLink {
        id,
        kind: spec.kind,
        token_hash: &hash,
        token_sealed: &sealed,
        workspace,
        bucket: BucketId(bucket.id),
        bucket_label: &bucket.display_name,
        created_by: actor.user.user_id(),
        folder: spec.folder,
        keys: spec.keys,
        note: &checked.note,
        password_hash: password_hash.as_deref(),
        max_downloads: spec.max_downloads,
        max_file_bytes: spec.max_file_bytes.map(|b| b as i64),
        max_files: spec.max_files,
        notify_first_download: spec.notify_first_download,
        expires_at: OffsetDateTime::now_utc() + checked.lifetime,
    };
    let (action, target) = match spec.kind {
        LinkKind::Download => ("link_created", target_words(spec.folder, spec.keys)),
        LinkKind::Upload => (
            "upload_link_created",
            spec.folder.unwrap_or_default().to_owned(),
        ),
    };
    let details = json!({
        "link": id,
        "key": target,
        "expires_in": checked.lifetime.as_secs(),
        "password": password_hash.is_some(),
        "max_downloads": spec.max_downloads,
        "max_files": spec.max_files,
    });
    let mut tx = db.begin().await?;
    rows::insert(&mut *tx, &new).await?;
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        bucket_id: Some(BucketId(bucket.id)),
        ..actor.event(origin, action, details)
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(Created {
        id,
        token,
        kind: spec.kind,
    })
}

/// "report.pdf", "the folder docs/", "3 files".
fn target_words(folder: Option<&str>, keys: &[String]) -> String {
    match (folder, keys) {
        (Some(""), _) => "the whole bucket".to_owned(),
        (Some(folder), _) => folder.to_owned(),
        (None, [key]) => key.clone(),
        (None, keys) => format!("{} files", keys.len()),
    }
}

/// The links of the workspace the actor may manage, newest first: their
/// own, and every link on the buckets they administer.
pub async fn list(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    limit: i64,
) -> Result<Vec<Link>, CoreError> {
    grant.may(Scope::Share)?;
    Ok(rows::visible_to(db, grant.id(), actor.user.user_id(), limit).await?)
}

/// One link the actor may manage; [`CoreError::NotFound`] for any other
/// (another person's link looks like one that does not exist).
pub async fn find(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    id: Uuid,
) -> Result<Link, CoreError> {
    grant.may(Scope::Share)?;
    rows::find_visible(db, grant.id(), actor.user.user_id(), id)
        .await?
        .ok_or(CoreError::NotFound)
}

/// Revokes a link for good: it stops working at once. Revoking a revoked
/// link changes nothing (and records nothing).
pub async fn revoke(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    id: Uuid,
) -> Result<Link, CoreError> {
    let link = find(db, grant, actor, id).await?;
    let mut tx = db.begin().await?;
    if rows::revoke(&mut *tx, link.id, actor.user.user_id()).await? {
        let event = audit::NewEvent {
            workspace_id: Some(WorkspaceId(link.workspace_id)),
            bucket_id: link.bucket_id.map(BucketId),
            ..actor.event(
                origin,
                "link_revoked",
                json!({ "link": link.id, "key": describe(&link) }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    find(db, grant, actor, id).await
}

/// Gives a link a new expiry, `lifetime` from now. A revoked link stays
/// revoked ([`CoreError::Conflict`] `revoked`).
pub async fn extend(
    db: &PgPool,
    grant: &WorkspaceGrant,
    actor: &Actor,
    origin: &Origin,
    limits: &LinkLimits,
    id: Uuid,
    lifetime: Duration,
) -> Result<Link, CoreError> {
    let link = find(db, grant, actor, id).await?;
    let revoked = || CoreError::Conflict {
        code: "revoked",
        message: "A revoked link stays revoked. Make a new link instead.".into(),
    };
    if link.state() == LinkState::Revoked {
        return Err(revoked());
    }
    let checked = check_options(
        &LinkOptions {
            lifetime: Some(lifetime),
            ..LinkOptions::default()
        },
        limits,
        Vec::new(),
    )?;
    let mut tx = db.begin().await?;
    let expires_at = OffsetDateTime::now_utc() + checked.lifetime;
    if !rows::set_expiry(&mut *tx, link.id, expires_at).await? {
        return Err(revoked());
    }
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: link.bucket_id.map(BucketId),
        ..actor.event(
            origin,
            "link_extended",
            json!({ "link": link.id, "key": describe(&link), "expires_in": checked.lifetime.as_secs() }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    find(db, grant, actor, id).await
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

/// An argon2 hash of a link's password, made off the async threads.
pub async fn hash_password(password: String) -> Result<String, CoreError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|hash| hash.to_string())
            .map_err(|e| CoreError::Internal(format!("argon2: {e}")))
    })
    .await
    .map_err(|e| CoreError::Internal(e.to_string()))?
}

/// Whether `password` is the one `hash` was made from.
pub async fn password_matches(hash: String, password: String) -> Result<bool, CoreError> {
    tokio::task::spawn_blocking(move || {
        let parsed =
            PasswordHash::new(&hash).map_err(|e| CoreError::Internal(format!("argon2: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| CoreError::Internal(e.to_string()))?
}

/// What happened to a link (visits, downloads, refusals), newest first.
/// `link` comes from [`find`], so the actor may see it.
pub async fn visits(
    db: &PgPool,
    grant: &WorkspaceGrant,
    link: &Link,
    limit: i64,
) -> Result<Vec<audit::Event>, CoreError> {
    Ok(audit::for_link(db, grant.id(), link.id, limit).await?)
}

/// The files that arrived through an upload link (none for a download link).
pub async fn arrivals(db: &PgPool, link: &Link) -> Result<Vec<rows::Arrival>, CoreError> {
    match link.kind() {
        LinkKind::Upload => Ok(rows::arrivals(db, link.id).await?),
        LinkKind::Download => Ok(Vec::new()),
    }
}
