//! Links as their visitors use them, without an account: opening a link
//! from the token in its address (unknown and malformed tokens are the same
//! "not found"), the password with its limits, counting a download, and
//! receiving a file through an upload link.
//! Whether a visitor has given the password is the face's to remember (the
//! pages keep it in the visitor's session).

use crate::access::LinkGrant;
use crate::actor::Origin;
use crate::archive::{self, ZipLimits};
use crate::audit_log::AuditLog;
use crate::files::Delivery;
use crate::random_token::{looks_like_token, token_hash};
use crate::s3_clients::S3Clients;
use crate::sign_in::{self, Entry, Purpose, RequestOutcome, SignInRules, VerifyOutcome};
use crate::uploads::{Journal, Uploads};
use crate::{CoreError, Denied, links};
use bucketdesk_db::links::{self as rows, Link, LinkKind};
use bucketdesk_db::{PgPool, audit};
use bucketdesk_domain::Email;
use bucketdesk_domain::link::{LinkState, network_allows, numbered_name};
use bucketdesk_domain::login::LoginCode;
use bucketdesk_domain::object::{check_name, check_new_key, parent};
use bucketdesk_domain::{BucketId, WorkspaceId};
use bucketdesk_metrics::{LinkKind as Counted, metrics};
use bucketdesk_storage::objects;
use bucketdesk_storage::upload::{self, Target, UploadError};
use bytes::Bytes;
use futures::Stream;
use serde_json::json;
use std::time::Duration;
use uuid::Uuid;

/// Wrong passwords one client may type for one link in 15 minutes.
pub const PASSWORD_TRIES_PER_CLIENT: i64 = 10;
/// Wrong passwords a link accepts from everyone together in an hour.
pub const PASSWORD_TRIES_PER_LINK: i64 = 100;
/// How long a visitor who typed too many wrong passwords waits.
const PASSWORD_WAIT: Duration = Duration::from_secs(15 * 60);

/// Password checks that may run at once: each takes about 19 MiB and a
/// core's worth of work, so a flood of guesses cannot exhaust the server.
static PASSWORD_CHECKS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// The link a visitor's token names, whatever its state;
/// [`CoreError::NotFound`] for an unknown or malformed token, and
/// [`Denied::Network`] for a visitor outside the networks the link was
/// limited to (whatever it shares stays unsaid).
pub async fn find(
    db: &PgPool,
    token: &str,
    kind: LinkKind,
    origin: &Origin,
) -> Result<Link, CoreError> {
    if !looks_like_token(token) {
        return Err(CoreError::NotFound);
    }
    let link = rows::find_by_token_hash(db, &token_hash(token), kind)
        .await?
        .ok_or(CoreError::NotFound)?;
    if !network_allows(&link.networks, origin.ip) {
        // on record once per visitor and link every 15 minutes, however
        // often they knock
        let link_id = link.id.to_string();
        let about = Some(("link", link_id.as_str()));
        let action = "link_network_refused";
        if !audit::recorded_since(db, action, origin.ip_str(), about, PASSWORD_WAIT).await? {
            let event = audit::NewEvent {
                workspace_id: Some(WorkspaceId(link.workspace_id)),
                bucket_id: link.bucket(),
                ..origin.visitor_event(action, json!({ "link": link.id }))
            };
            audit::record(db, event).await?;
        }
        return Err(CoreError::Forbidden(Denied::Network));
    }
    Ok(link)
}

/// The link, if it still works; [`CoreError::Gone`] with why not (counted
/// as a refused visit: of the link's page, or of a file).
pub fn require_active(link: &Link) -> Result<(), CoreError> {
    match link.state() {
        LinkState::Active => Ok(()),
        other => {
            metrics().link_visit(super::counted(link.kind()), false);
            Err(CoreError::Gone(other))
        }
    }
}

/// The link a visitor's token names, when it works.
pub async fn open(
    db: &PgPool,
    token: &str,
    kind: LinkKind,
    origin: &Origin,
) -> Result<Link, CoreError> {
    let link = find(db, token, kind, origin).await?;
    require_active(&link)?;
    Ok(link)
}

/// Whether the link is for this address (one of its recipients).
pub fn is_for(link: &Link, email: &str) -> bool {
    link.recipients.iter().any(|recipient| recipient == email)
}

/// Whether a visitor must prove an address before the link opens.
pub fn needs_recipient(link: &Link) -> bool {
    !link.recipients.is_empty()
}

/// A visitor asks for a code to prove `email`: the same steps, limits and
/// answer whether or not the link is for that address; the code is mailed
/// only when it is (the face mails [`RequestOutcome::Sent`]'s `mail`).
pub async fn ask_recipient_code(
    db: &PgPool,
    rules: SignInRules<'_>,
    link: &Link,
    email: &Email,
    origin: &Origin,
) -> Result<RequestOutcome, CoreError> {
    let listed = is_for(link, email.as_str());
    let purpose = Purpose::Recipient {
        link: link.id,
        listed,
    };
    sign_in::request_code(db, rules, email, origin, purpose).await
}

/// Checks the code a visitor typed for `email` (asked for in this browser,
/// as `code_id`): [`VerifyOutcome::AddressVerified`] when right.
pub async fn check_recipient_code(
    db: &PgPool,
    rules: SignInRules<'_>,
    link: &Link,
    code_id: Uuid,
    email: Email,
    code: &LoginCode,
    origin: &Origin,
) -> Result<VerifyOutcome, CoreError> {
    let listed = is_for(link, email.as_str());
    let purpose = Purpose::Recipient {
        link: link.id,
        listed,
    };
    let entry = Entry::Browser { code_id, email };
    sign_in::verify_code(db, rules, entry, code, origin, purpose).await
}

/// Checks a password typed for a link (`true`: right, or the link has
/// none). Each attempt counts as wrong from before it is checked, so
/// guesses sent in parallel cannot all slip under the limits; after too
/// many, [`CoreError::TooMany`] without checking, recorded once per visitor
/// and window however long they insist.
pub async fn try_password(
    db: &PgPool,
    audit_log: &AuditLog,
    link: &Link,
    origin: &Origin,
    password: &str,
) -> Result<bool, CoreError> {
    let Some(hash) = link.password_hash.clone() else {
        return Ok(true);
    };
    let ip = origin.ip_str();
    let attempt = rows::record_password_attempt(db, link.id, ip).await?;
    let (mine, everyone) = rows::recent_password_failures(db, link.id, ip, attempt).await?;
    if mine > PASSWORD_TRIES_PER_CLIENT || everyone > PASSWORD_TRIES_PER_LINK {
        // not checked, so not counted: waiting is what ends the limit
        rows::forget_password_attempt(db, attempt).await?;
        let link_id = link.id.to_string();
        let about = Some(("link", link_id.as_str()));
        if !audit::recorded_since(db, "link_password_limited", ip, about, PASSWORD_WAIT).await? {
            let whose = if mine > PASSWORD_TRIES_PER_CLIENT {
                "visitor"
            } else {
                "link"
            };
            let event = audit::NewEvent {
                workspace_id: Some(WorkspaceId(link.workspace_id)),
                bucket_id: link.bucket(),
                ..origin.visitor_event(
                    "link_password_limited",
                    json!({ "link": link.id, "whose": whose }),
                )
            };
            audit_log.record(event).await?;
        }
        return Err(CoreError::TooMany {
            retry_after: PASSWORD_WAIT,
        });
    }
    let matches = {
        let _slot = PASSWORD_CHECKS
            .acquire()
            .await
            .map_err(|e| CoreError::Internal(e.to_string()))?;
        links::password_matches(hash, password.to_owned()).await?
    };
    if matches {
        rows::forget_password_attempt(db, attempt).await?;
    }
    Ok(matches)
}

/// Counts one download of `key` through the link and records it, in one
/// transaction: refused ([`CoreError::Gone`] with why, as of now) when the
/// link stopped working meanwhile or its limit was reached by others.
/// Returns the link's download count with this one.
pub async fn count_download(
    db: &PgPool,
    link: &Link,
    grant: &LinkGrant,
    origin: &Origin,
    key: &str,
) -> Result<i32, CoreError> {
    count_visit(
        db,
        link,
        grant,
        origin,
        |count| json!({ "link": link.id, "key": key, "download": count }),
    )
    .await
}

/// Counts one download through the link, recorded as `link_downloaded`
/// with the details made from the new count.
async fn count_visit(
    db: &PgPool,
    link: &Link,
    grant: &LinkGrant,
    origin: &Origin,
    details: impl FnOnce(i32) -> serde_json::Value,
) -> Result<i32, CoreError> {
    let mut tx = db.begin().await?;
    let Some(count) = rows::count_download(&mut *tx, link.id).await? else {
        tx.rollback().await?;
        // refused in the meantime: say why, as of now
        let state = match rows::find_by_id(db, link.id).await? {
            Some(now) if now.state() != LinkState::Active => now.state(),
            _ => LinkState::UsedUp,
        };
        metrics().link_visit(Counted::Download, false);
        return Err(CoreError::Gone(state));
    };
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: Some(BucketId(grant.bucket().id)),
        ..origin.visitor_event("link_downloaded", details(count))
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    metrics().link_visit(Counted::Download, true);
    Ok(count)
}

/// Everything a download link shares (its folder, or its files) as one
/// zip: listed and checked against the limits first, then counted as one
/// download of the link, the visit's audit event naming the files (the
/// first thousand, and how many in all).
pub async fn download_all(
    s3: &S3Clients,
    db: &PgPool,
    link: &Link,
    grant: &LinkGrant,
    origin: &Origin,
    limits: ZipLimits,
) -> Result<(Delivery, i32), CoreError> {
    let (base, keys) = match (&link.folder, link.keys.as_slice()) {
        (Some(folder), _) => (
            parent(folder.trim_end_matches('/')).to_owned(),
            vec![folder.clone()],
        ),
        (None, keys) => (common_folder(keys), keys.to_vec()),
    };
    let mut plan = archive::plan(s3, grant, &base, &keys, limits).await?;
    plan.entries.retain(|entry| link.covers(&entry.key));
    let files: Vec<&str> = plan
        .entries
        .iter()
        .take(1000)
        .map(|e| e.key.as_str())
        .collect();
    let count = count_visit(db, link, grant, origin, |count| {
        json!({ "link": link.id, "zip": true, "files": plan.entries.len(), "keys": files, "download": count })
    })
    .await?;
    let name = archive::zip_name(&base, &keys, "files");
    let delivery = archive::delivery(s3, grant, plan, &name).await?;
    Ok((delivery, count))
}

/// The folder every key is in (`a/b/` for `a/b/x` and `a/b/c/y`).
fn common_folder(keys: &[String]) -> String {
    let Some(first) = keys.first() else {
        return String::new();
    };
    let mut folder = parent(first).to_owned();
    for key in keys {
        while !key.starts_with(&folder) {
            folder = parent(folder.trim_end_matches('/')).to_owned();
        }
    }
    folder
}

/// A file to receive through an upload link.
pub struct Arrival<'a> {
    /// The file's name as sent (no folders).
    pub name: &'a str,
    pub content_type: Option<&'a str>,
    /// The length the body announces, when it does.
    pub declared_length: Option<u64>,
    /// The largest file the instance stores (the link may say less).
    pub max_upload_bytes: u64,
}

/// What became of a file received through an upload link.
#[derive(Debug)]
pub struct Received {
    /// Where it was stored: the link's folder and its name, numbered when
    /// the name was taken ("report (1).pdf").
    pub key: String,
    pub size: u64,
}

/// The largest file `link` accepts.
pub fn max_file_bytes(link: &Link, max_upload_bytes: u64) -> u64 {
    link.max_file_bytes
        .map_or(max_upload_bytes, |max| (max as u64).min(max_upload_bytes))
}

/// Receives one file into an upload link's folder. Its name is reserved
/// first, so it never replaces anything: a taken name gets a number. The
/// link's file limit is exact under concurrent uploads (the reservation is
/// counted under the link's row lock), and a reservation is given back if
/// the upload fails or the visitor goes away.
#[allow(clippy::too_many_arguments)]
pub async fn receive_file<S, E>(
    db: &PgPool,
    s3: &S3Clients,
    uploads: &Uploads,
    link: &Link,
    origin: &Origin,
    arrival: Arrival<'_>,
    body: S,
) -> Result<Received, CoreError>
where
    S: Stream<Item = Result<Bytes, E>> + Unpin,
    E: std::fmt::Display,
{
    require_active(link)?;
    let name = arrival.name.trim();
    check_name(name).map_err(|m| CoreError::invalid("name", "invalid", m))?;
    let max_bytes = max_file_bytes(link, arrival.max_upload_bytes);
    if arrival
        .declared_length
        .is_some_and(|length| length > max_bytes)
    {
        return Err(CoreError::TooLarge { limit: max_bytes });
    }
    let grant = crate::access::through_link(db, link).await?;
    let client = s3.client(&grant).await?;
    let bucket = grant.bucket();
    let folder = link.folder.clone().unwrap_or_default();

    // a free name: not in the bucket, then reserved against other uploads
    // through links, counting what arrived (short transactions: no S3 call
    // while the link's row is held)
    let mut reserved = None;
    for n in 0..1000 {
        let key = format!("{folder}{}", numbered_name(name, n));
        check_new_key(&key).map_err(|m| CoreError::invalid("name", "invalid", m))?;
        let taken = objects::exists(&client, &bucket.bucket_name, &key, s3.options())
            .await
            .map_err(CoreError::Storage)?;
        if taken {
            continue;
        }
        let mut tx = db.begin().await?;
        rows::lock(&mut *tx, link.id).await?;
        let files = rows::files_taken(&mut *tx, link.id).await?;
        if link.max_files.is_some_and(|max| files >= i64::from(max)) {
            metrics().link_visit(Counted::Upload, false);
            return Err(CoreError::Gone(LinkState::UsedUp));
        }
        let id = rows::reserve_upload(
            &mut *tx,
            link.id,
            BucketId(bucket.id),
            &key,
            origin.ip_str(),
            origin.user_agent.as_deref(),
        )
        .await?;
        tx.commit().await?;
        if let Some(id) = id {
            reserved = Some((Reservation::new(db, id), key));
            break;
        }
    }
    let Some((mut reservation, key)) = reserved else {
        return Err(CoreError::Conflict {
            code: "name_taken",
            message:
                "Too many files of this name arrived already; rename the file and send it again."
                    .into(),
        });
    };
    let target = Target {
        client: &client,
        bucket: &bucket.bucket_name,
        key: &key,
        content_type: arrival.content_type,
        max_size: max_bytes,
        options: s3.options(),
    };
    let journal = Journal::of(db, &grant);
    let conditions = uploads.conditions(&journal, arrival.declared_length);
    // on failure, the reservation is given back when it is dropped
    let size = match upload::upload(&target, body, conditions).await {
        Ok(size) => size,
        Err(UploadError::S3(problem)) => return Err(CoreError::Storage(problem)),
        Err(e @ UploadError::CutOff(_)) => {
            return Err(CoreError::invalid("body", "cut_off", e.to_string()));
        }
        Err(UploadError::TooLarge(limit)) => return Err(CoreError::TooLarge { limit }),
    };
    let mut tx = db.begin().await?;
    rows::finish_upload(&mut *tx, reservation.id, size as i64).await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(link.workspace_id)),
        bucket_id: Some(BucketId(bucket.id)),
        ..origin.visitor_event(
            "link_upload_received",
            json!({ "link": link.id, "key": key, "size": size }),
        )
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    reservation.kept = true;
    metrics().link_visit(Counted::Upload, true);
    Ok(Received { key, size })
}

/// A name reserved for an upload through a link. Unless the upload finished
/// (`kept`), it is given back when dropped: after a failure, and also when
/// the visitor goes away mid-upload and the request is dropped.
struct Reservation {
    db: PgPool,
    id: i64,
    kept: bool,
}

impl Reservation {
    fn new(db: &PgPool, id: i64) -> Self {
        Reservation {
            db: db.clone(),
            id,
            kept: false,
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        let (db, id) = (self.db.clone(), self.id);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if let Err(error) = rows::release_upload(&db, id).await {
                    tracing::warn!(%error, "could not give back an upload's reserved name");
                }
            });
        }
    }
}
