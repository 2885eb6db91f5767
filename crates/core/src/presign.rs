//! Presigned links, for the pages, the API and the CLI: one GET (any role)
//! or PUT (Editors) for a key, or a batch of GETs for a list of keys or
//! every key under a prefix. Each needs the `share` scope, checks its keys
//! with the domain's rules, and audits what it hands out.

use crate::CoreError;
use crate::access::{BucketGrant, Editor, Viewer};
use crate::actor::{Actor, Origin};
use crate::audit_log::AuditLog;
use crate::s3_clients::S3Clients;
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::object::{
    Disposition, check_folder_path, check_key, check_new_key, content_disposition, file_name,
    has_dot_segment,
};
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_metrics::{LinkKind, metrics};
use bucketdesk_storage::objects;
use serde_json::json;
use std::time::Duration;
use time::OffsetDateTime;

/// A presigned link's lifetime unless another is asked for (S15).
pub const DEFAULT_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// The longest a presigned link can live (S3's own limit).
pub const MAX_LIFETIME: Duration = Duration::from_secs(7 * 24 * 60 * 60);
/// The most keys one batch presigns.
pub const MAX_BATCH: usize = 1000;

/// What a presigned link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Download the object (attachment disposition).
    Get,
    /// Upload that one object (Editors only).
    Put,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
        }
    }
}

/// A presigned link and when it stops working.
#[derive(Debug, Clone)]
pub struct Presigned {
    pub key: String,
    pub url: String,
    pub method: Method,
    pub expires_at: OffsetDateTime,
    /// How long it lasts from when it was made.
    pub lifetime: Duration,
    /// Shorter than asked for: the bucket is reached through an IAM role,
    /// and a presigned URL cannot outlive the role session that signed it.
    pub capped: bool,
}

/// The lifetime asked for, in seconds: 1 to 7 days; none is 15 minutes.
pub fn lifetime(expires_in: Option<u64>) -> Result<Duration, CoreError> {
    match expires_in {
        None => Ok(DEFAULT_LIFETIME),
        Some(secs) if (1..=MAX_LIFETIME.as_secs()).contains(&secs) => Ok(Duration::from_secs(secs)),
        Some(_) => Err(CoreError::invalid(
            "expires_in",
            "out_of_range",
            "A presigned link lives from 1 second to 7 days (604800 seconds).",
        )),
    }
}

/// One presigned link to make.
pub struct PresignRequest<'a> {
    pub key: &'a str,
    pub method: Method,
    /// From [`lifetime`].
    pub lifetime: Duration,
}

/// A presigned GET (any role) or PUT (Editors) of one key. Needs the
/// share scope; recorded as `share_link_created` or `upload_url_created`.
pub async fn presign(
    s3: &S3Clients,
    audit: &AuditLog,
    grant: &BucketGrant,
    actor: &Actor,
    origin: &Origin,
    request: PresignRequest<'_>,
) -> Result<Presigned, CoreError> {
    let PresignRequest {
        key,
        method,
        lifetime,
    } = request;
    grant.may(Scope::Share)?;
    check_presignable(key, method)?;
    let presigned = sign(s3, grant, key, method, lifetime).await?;
    let action = match method {
        Method::Get => "share_link_created",
        Method::Put => "upload_url_created",
    };
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(grant.bucket().workspace_id)),
        bucket_id: Some(BucketId(grant.bucket().id)),
        ..actor.event(
            origin,
            action,
            json!({ "key": key, "expires_in": lifetime.as_secs() }),
        )
    };
    audit.record(event).await?;
    metrics().links_issued(LinkKind::Presigned, 1);
    Ok(presigned)
}

/// Which keys a batch presigns.
pub enum Selection {
    Keys(Vec<String>),
    /// Every file under this folder (at any depth).
    Prefix(String),
}

/// Presigned GETs for many keys at once: a list, or every file under a
/// prefix; at most [`MAX_BATCH`]. Each key is an audit event, as one link
/// is, written together in one statement.
pub async fn presign_batch(
    s3: &S3Clients,
    db: &PgPool,
    grant: &BucketGrant,
    actor: &Actor,
    origin: &Origin,
    selection: Selection,
    lifetime: Duration,
) -> Result<Vec<Presigned>, CoreError> {
    grant.may(Scope::Share)?;
    let can = grant.can::<Viewer>()?;
    let keys = match selection {
        Selection::Keys(keys) => keys,
        Selection::Prefix(prefix) => {
            check_folder_path(&prefix).map_err(|m| CoreError::invalid("prefix", "invalid", m))?;
            let client = s3.client(&can.at(&prefix)?).await?;
            // folder markers and dot keys are skipped, so list a little
            // further than the limit, but never a whole folder of millions
            let listed = objects::keys_up_to(
                &client,
                &can.bucket().bucket_name,
                &prefix,
                LISTED_FOR_A_BATCH,
                s3.options(),
            )
            .await
            .map_err(CoreError::Storage)?;
            if listed.len() > LISTED_FOR_A_BATCH {
                return Err(too_many(listed.len()));
            }
            listed
                .into_iter()
                .filter(|key| !key.ends_with('/') && !has_dot_segment(key))
                .collect()
        }
    };
    if keys.is_empty() {
        return Err(CoreError::invalid(
            "keys",
            "required",
            "There is no file to presign.",
        ));
    }
    if keys.len() > MAX_BATCH {
        return Err(too_many(keys.len()));
    }
    for key in &keys {
        check_presignable(key, Method::Get)?;
    }
    let mut links = Vec::with_capacity(keys.len());
    for key in &keys {
        links.push(sign(s3, grant, key, Method::Get, lifetime).await?);
    }
    let bucket = grant.bucket();
    let events: Vec<_> = keys
        .iter()
        .map(|key| audit::NewEvent {
            workspace_id: Some(WorkspaceId(bucket.workspace_id)),
            bucket_id: Some(BucketId(bucket.id)),
            ..actor.event(
                origin,
                "share_link_created",
                json!({ "key": key, "expires_in": lifetime.as_secs(), "batch": keys.len() }),
            )
        })
        .collect();
    // one statement, all or nothing, and a thousand events kept out of
    // other requests' batches
    audit::record_many(db, &events).await?;
    metrics().links_issued(LinkKind::Presigned, links.len() as u64);
    Ok(links)
}

/// How far a batch for a prefix lists before it gives up.
const LISTED_FOR_A_BATCH: usize = 2 * MAX_BATCH;

fn too_many(count: usize) -> CoreError {
    let more = if count > LISTED_FOR_A_BATCH {
        "more than "
    } else {
        ""
    };
    CoreError::invalid(
        "keys",
        "too_many",
        format!(
            "At most {MAX_BATCH} files at once; {more}{count} were asked for. Choose a smaller folder."
        ),
    )
}

/// Whether a presigned link of `method` can name `key`.
fn check_presignable(key: &str, method: Method) -> Result<(), CoreError> {
    let checked = match method {
        Method::Get => check_key(key),
        Method::Put => check_new_key(key),
    };
    checked.map_err(|m| CoreError::invalid("key", "invalid", m))?;
    if key.ends_with('/') {
        return Err(CoreError::invalid(
            "key",
            "not_presignable",
            format!(
                "\"{key}\" is a folder: a presigned link names one file. Share a folder with a revocable link."
            ),
        ));
    }
    if has_dot_segment(key) {
        return Err(CoreError::invalid(
            "key",
            "not_presignable",
            format!(
                "\"{key}\" cannot be named by a presigned link (browsers rewrite . and .. folders); make a revocable link instead."
            ),
        ));
    }
    Ok(())
}

pub(crate) async fn sign(
    s3: &S3Clients,
    grant: &BucketGrant,
    key: &str,
    method: Method,
    lifetime: Duration,
) -> Result<Presigned, CoreError> {
    let bucket = &grant.bucket().bucket_name;
    let asked = lifetime;
    let (url, lifetime) = match method {
        Method::Get => {
            let can = grant.at::<Viewer>(key)?;
            let lifetime = s3.presign_lifetime(&can, asked).await?;
            let client = s3.presigner(&can).await?;
            let disposition = content_disposition(Disposition::Attachment, file_name(key));
            let url = objects::presign_get(&client, bucket, key, lifetime, &disposition, None)
                .await
                .map_err(CoreError::Storage)?;
            (url, lifetime)
        }
        Method::Put => {
            let can = grant.at::<Editor>(key)?;
            let lifetime = s3.presign_lifetime(&can, asked).await?;
            let client = s3.presigner(&can).await?;
            let url = objects::presign_put(&client, bucket, key, lifetime)
                .await
                .map_err(CoreError::Storage)?;
            (url, lifetime)
        }
    };
    Ok(Presigned {
        key: key.to_owned(),
        url,
        method,
        expires_at: OffsetDateTime::now_utc() + lifetime,
        lifetime,
        capped: lifetime < asked,
    })
}
