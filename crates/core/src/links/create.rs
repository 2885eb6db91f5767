//! Making links: the checks of what a link shares and of its options, the
//! sealed token, the password's hash, and the audit event.

use super::{Created, DownloadLink, LinkLimits, LinkOptions, MAX_KEYS, UploadLink};
use crate::access::{BucketGrant, Can, Editor, Viewer};
use crate::actor::{Actor, Origin};
use crate::buckets::file_system_backed;
use crate::random_token::new_token;
use crate::{CoreError, FieldError};
use bucketdesk_db::links::{self as rows, LinkKind, NewLink};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::link::{self as rules, describe_duration};
use bucketdesk_domain::object::{check_folder_path, check_readable_key};
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_metrics::metrics;
use bucketdesk_vault::TokenBox;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

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
    check_reach(can, link.folder.as_deref(), &link.keys)?;
    let spec = Spec {
        kind: LinkKind::Download,
        folder: link.folder.as_deref(),
        keys: &link.keys,
        max_downloads: link.max_downloads,
        max_files: None,
        max_file_bytes: None,
        notify_first_download: link.notify_first_download,
        notify_arrivals: false,
    };
    insert(db, tokens, can, actor, origin, &link.options, checked, spec).await
}

/// Refused unless the person holds a Viewer's role at everything a
/// download link would share, `folder` or `keys` (folder grants count):
/// the same answer for the page's form and for the link it makes.
pub fn check_reach(
    grant: &BucketGrant,
    folder: Option<&str>,
    keys: &[String],
) -> Result<(), CoreError> {
    match folder {
        Some(folder) => grant.at::<Viewer>(folder).map(drop),
        None => grant
            .at_all::<Viewer>(keys.iter().map(String::as_str))
            .map(drop),
    }
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
    can.at(&link.folder)?;
    let spec = Spec {
        kind: LinkKind::Upload,
        folder: Some(&link.folder),
        keys: &[],
        max_downloads: None,
        max_files: link.max_files,
        max_file_bytes: link.max_file_bytes,
        notify_first_download: false,
        notify_arrivals: link.notify_arrivals,
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
            let file_system = file_system_backed(grant.bucket());
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
pub(super) struct Checked {
    pub(super) lifetime: Duration,
    note: String,
    networks: Vec<String>,
    recipients: Vec<String>,
}

pub(super) fn check_options(
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
    let networks = rules::networks(&options.networks).unwrap_or_else(|message| {
        problems.push(FieldError {
            field: "networks",
            code: "invalid",
            message,
        });
        Vec::new()
    });
    let recipients = rules::recipients(&options.recipients).unwrap_or_else(|message| {
        problems.push(FieldError {
            field: "recipients",
            code: "invalid",
            message,
        });
        Vec::new()
    });
    if problems.is_empty() {
        Ok(Checked {
            lifetime,
            note,
            networks,
            recipients,
        })
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
    notify_arrivals: bool,
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
        Some(password) => Some(super::hash_password(password.to_owned()).await?),
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
        notify_arrivals: spec.notify_arrivals,
        networks: &checked.networks,
        recipients: &checked.recipients,
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
        "networks": checked.networks,
        "recipients": checked.recipients,
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
    metrics().links_issued(super::counted(spec.kind), 1);
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
