//! Direct uploads: browsers send upload parts straight to the bucket with
//! presigned part URLs (see [`crate::resumable::part_url`]), which needs
//! the bucket's CORS rules to let bucketdesk's origin `PUT` and read the
//! `ETag`. A bucket Owner checks those rules, applies the rule bucketdesk
//! needs with one click (when the key may change CORS rules), and turns
//! direct uploads on or off. Turning them on is refused while the rules
//! would block the browser; each change is audited.

use crate::CoreError;
use crate::access::{BucketGrant, Can, HoldsBucket, Owner};
use crate::actor::{Actor, Origin};
use crate::s3_clients::S3Clients;
use bucketdesk_db::buckets as rows;
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::{Scope, WorkspaceId};
use bucketdesk_storage::cors::{self, BucketCors, CorsRule};
use serde_json::json;

type OwnerOf<'g> = Can<'g, Owner, BucketGrant>;

/// What the bucket's CORS rules mean for direct uploads from `origin`.
#[derive(Debug, Clone)]
pub struct CorsCheck {
    /// bucketdesk's origin, which the browser sends parts from.
    pub origin: String,
    /// The bucket's rules now; `None` when the service keeps none per bucket.
    pub rules: Option<Vec<CorsRule>>,
    /// Whether the rules let browsers on `origin` send parts.
    pub allows: bool,
    /// The rules with bucketdesk's added: what "apply" would save.
    pub proposed: Vec<CorsRule>,
    /// Whether direct uploads are on for the bucket.
    pub direct_uploads: bool,
    /// The bucket is in proxy mode: browsers cannot reach its storage.
    pub proxy_mode: bool,
}

impl CorsCheck {
    /// The rules as S3 consoles and the AWS CLI take them (`[]` for none).
    pub fn rules_json(&self) -> String {
        serde_json::to_string_pretty(self.rules.as_deref().unwrap_or_default()).unwrap_or_default()
    }

    /// The proposed rules, as JSON to paste.
    pub fn proposed_json(&self) -> String {
        serde_json::to_string_pretty(&self.proposed).unwrap_or_default()
    }

    /// Whether direct uploads may be turned on: not in proxy mode, and the
    /// rules allow them or the service keeps no rules per bucket (then its
    /// own, service-wide setting decides, and a browser whose part is
    /// refused sends it through bucketdesk instead).
    pub fn may_turn_on(&self) -> bool {
        !self.proxy_mode && (self.allows || self.rules.is_none())
    }
}

/// Reads the bucket's CORS rules and says whether they allow direct uploads
/// from `origin`.
pub async fn check(
    s3: &S3Clients,
    can: &OwnerOf<'_>,
    origin: &str,
) -> Result<CorsCheck, CoreError> {
    can.may(Scope::Admin)?;
    let client = s3.client(can).await?;
    let bucket = can.bucket();
    let rules = match cors::rules(&client, &bucket.bucket_name, s3.options())
        .await
        .map_err(CoreError::Storage)?
    {
        BucketCors::Rules(rules) => Some(rules),
        BucketCors::NotPerBucket => None,
    };
    let current = rules.as_deref().unwrap_or_default();
    Ok(CorsCheck {
        origin: origin.to_owned(),
        allows: rules.is_some() && cors::allows_uploads(current, origin),
        proposed: cors::with_upload_rule(current, origin),
        rules,
        direct_uploads: bucket.direct_uploads,
        proxy_mode: bucket.proxy_downloads,
    })
}

/// Adds the rule bucketdesk needs to the bucket's CORS rules (keeping the
/// others), then checks again. Audited as `bucket_cors_applied` with the
/// rules saved.
pub async fn apply_rule(
    db: &PgPool,
    s3: &S3Clients,
    can: &OwnerOf<'_>,
    actor: &Actor,
    from: &Origin,
    origin: &str,
) -> Result<CorsCheck, CoreError> {
    let before = check(s3, can, origin).await?;
    if before.allows {
        return Ok(before);
    }
    let client = s3.client(can).await?;
    let bucket = can.bucket();
    cors::set_rules(&client, &bucket.bucket_name, &before.proposed, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(bucket.bucket_id()),
        ..actor.event(
            from,
            "bucket_cors_applied",
            json!({ "origin": origin, "rules": before.proposed }),
        )
    };
    audit::record(db, event).await?;
    check(s3, can, origin).await
}

/// Turns direct uploads on or off. On is refused (with the reason) while
/// the bucket's CORS rules would block browsers on `origin`. Audited as
/// `bucket_direct_uploads_set`.
pub async fn set(
    db: &PgPool,
    s3: &S3Clients,
    can: &OwnerOf<'_>,
    actor: &Actor,
    from: &Origin,
    origin: &str,
    on: bool,
) -> Result<(), CoreError> {
    can.may(Scope::Admin)?;
    let bucket = can.bucket();
    if on && bucket.proxy_downloads {
        return Err(CoreError::invalid(
            "direct_uploads",
            "proxy_mode",
            "This bucket is in proxy mode: browsers cannot reach its storage, so they cannot send it files either.",
        ));
    }
    if on && !check(s3, can, origin).await?.may_turn_on() {
        return Err(CoreError::invalid(
            "direct_uploads",
            "cors_blocks",
            format!(
                "The bucket's CORS rules do not let browsers on {origin} send it files: apply the rule bucketdesk needs first."
            ),
        ));
    }
    if on == bucket.direct_uploads {
        return Ok(());
    }
    let mut tx = db.begin().await?;
    rows::set_direct_uploads(&mut *tx, bucket.bucket_id(), on).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        bucket_id: Some(bucket.bucket_id()),
        ..actor.event(
            from,
            "bucket_direct_uploads_set",
            json!({ "direct_uploads": on }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(())
}

/// Where browsers send the parts of the bucket's direct uploads: the origin
/// of its presigned URLs (its public endpoint when it has one), for the
/// upload page's `connect-src`. `None` while direct uploads are off.
pub async fn part_origin(
    s3: &S3Clients,
    holder: &impl HoldsBucket,
) -> Result<Option<String>, CoreError> {
    let bucket = holder.bucket();
    if !bucket.direct_uploads {
        return Ok(None);
    }
    // signing is local: this makes no request
    let presigner = s3.presigner(holder).await?;
    let url = bucketdesk_storage::objects::presign_get(
        &presigner,
        &bucket.bucket_name,
        "origin",
        std::time::Duration::from_secs(60),
        "attachment",
        None,
    )
    .await
    .map_err(CoreError::Storage)?;
    Ok(url::Url::parse(&url)
        .ok()
        .map(|url| url.origin().ascii_serialization()))
}
