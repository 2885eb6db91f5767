//! Connecting buckets, for the connect form, the API and the demo setup:
//! connect (tested before it is saved), settings (the name and the key
//! pair, in one transaction), disconnect. Workspace or bucket Owners only,
//! with the `admin` scope. Secrets are sealed before they reach the
//! database and never leave this module in the clear.

use crate::access::{BucketGrant, Can, Owner, WorkspaceGrant};
use crate::actor::{Actor, Origin};
use crate::s3_clients::S3Clients;
use crate::{CoreError, FieldError};
use bucketdesk_db::buckets::{self as rows, Bucket, NewBucket};
use bucketdesk_db::{PgPool, audit, is_violation};
use bucketdesk_domain::bucket::{
    check_access_key_id, check_bucket_name, check_display_name, check_region, check_role_arn,
    check_secret_key,
};
use bucketdesk_domain::{BucketId, Scope, WorkspaceId};
use bucketdesk_storage::{
    Addressing, Connection, Provider, Signer, check_endpoint_url, test_connection,
};
use bucketdesk_vault::{Sealed, bucket_secret_context};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;

const NAME_CONSTRAINT: &str = "buckets_workspace_display_name_key";

/// Whether the bucket's service keeps objects as files named by their keys,
/// so `.` and `..` parts of a key lead elsewhere (S19).
pub fn file_system_backed(bucket: &Bucket) -> bool {
    Provider::parse(&bucket.provider).is_some_and(Provider::file_system_backed)
}

/// A bucket to connect as typed in a form or sent as JSON: all text, so no
/// input fails to parse; [`ConnectRequest::check`] says what is wrong.
#[derive(Debug, Default, Clone)]
pub struct ConnectRequest {
    pub display_name: String,
    /// `aws`, `r2`, `minio`... (`aws` when empty).
    pub provider: String,
    pub r2_account_id: String,
    /// The provider's default when empty.
    pub region: String,
    /// The provider's preset when empty.
    pub endpoint_url: String,
    pub bucket_name: String,
    /// `auto` (or empty), `path` or `virtual`.
    pub addressing: String,
    pub access_key_id: String,
    pub secret_access_key: String,
    /// An IAM role to assume instead of a key (empty: the key). Offered
    /// only when bucketdesk has an AWS identity of its own.
    pub role_arn: String,
    /// Where browsers reach the service, when not at `endpoint_url` (empty: there).
    pub public_endpoint_url: String,
}

/// How bucketdesk will sign the requests of a bucket it connects.
pub enum NewAccess {
    /// With this long-lived key, stored sealed.
    Key {
        access_key_id: String,
        secret_access_key: SecretString,
    },
    /// With temporary keys from assuming this role (nothing stored).
    Role { role_arn: String },
}

/// A bucket to connect, checked: its name in bucketdesk, how to reach it,
/// how to address it.
pub struct NewConnection {
    pub display_name: String,
    /// The kind of service (decides rules such as S19's file-system check).
    pub provider: Provider,
    pub bucket: String,
    pub region: String,
    /// `None`: AWS S3's own endpoint for the region.
    pub endpoint: Option<String>,
    pub access: NewAccess,
    pub addressing: Addressing,
    /// Where browsers reach the service, for presigned URLs.
    pub public_endpoint: Option<String>,
}

impl ConnectRequest {
    /// The connection asked for, or every field that is wrong.
    pub fn check(&self, allow_private: bool) -> Result<NewConnection, Vec<FieldError>> {
        let mut errors: Vec<FieldError> = Vec::new();
        let mut check = |field: &'static str, result: Result<(), String>| {
            if let Err(message) = result
                && !errors.iter().any(|e| e.field == field)
            {
                errors.push(FieldError {
                    field,
                    code: "invalid",
                    message,
                });
            }
        };
        check(
            "display_name",
            check_display_name(&self.display_name, "bucket"),
        );
        let provider = Provider::parse(self.provider.trim()).unwrap_or(Provider::Aws);
        if !self.provider.trim().is_empty() && Provider::parse(self.provider.trim()).is_none() {
            check("provider", Err("Choose a provider from the list.".into()));
        }
        let region = match self.region.trim() {
            "" => provider.default_region().to_owned(),
            r => r.to_owned(),
        };
        check("region", check_region(&region));
        let bucket_name = self.bucket_name.trim().to_owned();
        check("bucket_name", check_bucket_name(&bucket_name));
        let addressing = Addressing::parse(self.addressing.trim());
        check(
            "addressing",
            addressing
                .map(|_| ())
                .ok_or_else(|| "Choose an addressing style from the list.".into()),
        );
        let role_arn = self.role_arn.trim().to_owned();
        let access = if role_arn.is_empty() {
            let access_key_id = self.access_key_id.trim().to_owned();
            check("access_key_id", check_access_key_id(&access_key_id));
            let secret = self.secret_access_key.trim().to_owned();
            check("secret_access_key", check_secret_key(&secret));
            NewAccess::Key {
                access_key_id,
                secret_access_key: SecretString::from(secret),
            }
        } else {
            check("role_arn", check_role_arn(&role_arn));
            NewAccess::Role { role_arn }
        };

        // a typed endpoint wins; otherwise the provider's preset
        let endpoint = match self.endpoint_url.trim() {
            "" => provider
                .endpoint(&region, &self.r2_account_id)
                .map_err(|e| {
                    let field = if provider == Provider::CloudflareR2 {
                        "r2_account_id"
                    } else {
                        "endpoint_url"
                    };
                    (field, e)
                }),
            typed => Ok(Some(typed.to_owned())),
        };
        let endpoint = match endpoint {
            Ok(Some(url)) => match check_endpoint_url(&url, allow_private) {
                Ok(url) => Some(url.as_str().trim_end_matches('/').to_owned()),
                Err(e) => {
                    check("endpoint_url", Err(e.to_string()));
                    None
                }
            },
            Ok(None) => None,
            Err((field, e)) => {
                check(field, Err(e));
                None
            }
        };
        let public_endpoint = check_public_endpoint(&self.public_endpoint_url)
            .map_err(|message| check("public_endpoint_url", Err(message)))
            .ok()
            .flatten();
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewConnection {
            display_name: self.display_name.trim().to_owned(),
            provider,
            bucket: bucket_name,
            region,
            endpoint,
            access,
            addressing: addressing.unwrap_or(Addressing::Auto),
            public_endpoint,
        })
    }
}

/// What an Owner needs to let bucketdesk into a role: the workspace's
/// external id, bucketdesk's identity and the trust policy naming both.
pub struct RoleHelp {
    pub external_id: String,
    pub principal: String,
    pub trust_policy: String,
}

/// The role option of the connect form: `None` when bucketdesk has no AWS
/// identity of its own (then only keys can connect buckets).
pub async fn role_help(
    db: &PgPool,
    s3: &S3Clients,
    can: &Can<'_, Owner, WorkspaceGrant>,
) -> Result<Option<RoleHelp>, CoreError> {
    let Some(identity) = s3.identity() else {
        return Ok(None);
    };
    let external_id = bucketdesk_db::workspaces::external_id(db, can.id()).await?;
    Ok(Some(RoleHelp {
        trust_policy: identity.trust_policy(&external_id),
        principal: identity.principal().to_owned(),
        external_id,
    }))
}

fn name_taken() -> CoreError {
    CoreError::Invalid(vec![FieldError {
        field: "display_name",
        code: "taken",
        message: "Another bucket in this workspace has this name already.".into(),
    }])
}

fn seal(
    s3: &S3Clients,
    bucket: BucketId,
    access_key_id: &str,
    secret: &SecretString,
) -> Result<Sealed, CoreError> {
    let context = bucket_secret_context(&bucket.0.to_string(), access_key_id);
    s3.instance_key()
        .seal(secret.expose_secret().as_bytes(), &context)
        .map_err(|e| CoreError::Internal(e.to_string()))
}

/// Tests the connection, then saves the bucket with its sealed secret
/// (workspace Owners). Every owner of the workspace becomes an owner of
/// the bucket. A failing test is [`CoreError::Storage`] with its kind.
pub async fn connect(
    db: &PgPool,
    s3: &S3Clients,
    can: &Can<'_, Owner, WorkspaceGrant>,
    actor: &Actor,
    origin: &Origin,
    new: NewConnection,
) -> Result<BucketId, CoreError> {
    can.may(Scope::Admin)?;
    let workspace = can.id();
    let signer = match &new.access {
        NewAccess::Key {
            access_key_id,
            secret_access_key,
        } => Signer::Key {
            access_key_id: access_key_id.clone(),
            secret_access_key: secret_access_key.clone(),
        },
        NewAccess::Role { .. } if s3.identity().is_none() => {
            return Err(CoreError::invalid(
                "role_arn",
                "no_identity",
                "This server has no AWS identity of its own to assume roles with: connect the bucket with an \
                 access key, or ask the instance admin to set BUCKETDESK_AWS_IDENTITY=host.",
            ));
        }
        NewAccess::Role { role_arn } => {
            let session = s3.role_session(workspace, role_arn).await?;
            session.check().await.map_err(CoreError::Storage)?;
            Signer::Role(session)
        }
    };
    let c = Connection {
        bucket: new.bucket.clone(),
        region: new.region.clone(),
        endpoint: new.endpoint.clone(),
        path_style: false,
        signer,
    };
    let path_style = test_connection(&c, new.addressing, s3.options())
        .await
        .map_err(CoreError::Storage)?;
    let id = BucketId(Uuid::new_v4());
    let (access_key_id, role_arn, sealed) = match &new.access {
        NewAccess::Key {
            access_key_id,
            secret_access_key,
        } => (
            Some(access_key_id.as_str()),
            None,
            Some(seal(s3, id, access_key_id, secret_access_key)?),
        ),
        NewAccess::Role { role_arn } => (None, Some(role_arn.as_str()), None),
    };
    let mut tx = db.begin().await?;
    let row = NewBucket {
        id,
        workspace_id: workspace,
        display_name: new.display_name.trim(),
        bucket_name: &c.bucket,
        region: &c.region,
        endpoint_url: c.endpoint.as_deref(),
        public_endpoint_url: new.public_endpoint.as_deref(),
        path_style,
        access_key_id,
        role_arn,
        provider: new.provider.as_str(),
        created_by: actor.user.user_id(),
    };
    match rows::insert(&mut tx, &row).await {
        Err(e) if is_violation(&e, NAME_CONSTRAINT) => return Err(name_taken()),
        other => other?,
    }
    if let Some(sealed) = &sealed {
        store(&mut tx, id, sealed).await?;
    }
    let details = json!({ "bucket": c.bucket, "endpoint": c.endpoint, "region": c.region, "path_style": path_style,
                          "public_endpoint": new.public_endpoint, "role_arn": role_arn });
    let event = audit::NewEvent {
        workspace_id: Some(workspace),
        bucket_id: Some(id),
        ..actor.event(origin, "bucket_connected", details)
    };
    audit::record(&mut *tx, event).await?;
    tx.commit().await?;
    Ok(id)
}

async fn store(
    tx: &mut bucketdesk_db::Transaction<'static, bucketdesk_db::Postgres>,
    bucket: BucketId,
    sealed: &Sealed,
) -> Result<(), CoreError> {
    rows::store_secret(
        &mut **tx,
        bucket,
        &sealed.key_id,
        &sealed.wrapped_key,
        &sealed.nonce,
        &sealed.ciphertext,
    )
    .await?;
    Ok(())
}

/// A bucket's new settings: its name in bucketdesk, and a new key pair
/// (none keeps the current one; an empty key id with a new secret keeps the
/// current key id, for a rotated secret).
pub struct BucketSettings {
    pub display_name: String,
    pub new_key: Option<(String, SecretString)>,
    /// Where browsers reach the S3 service, for presigned URLs: `None`
    /// keeps it as it is, an empty text clears it.
    pub public_endpoint: Option<String>,
    /// Downloads, previews and link visits stream through bucketdesk
    /// (`None` keeps it as it is).
    pub proxy_downloads: Option<bool>,
}

/// A public endpoint as typed: empty is none; else an `http` or `https`
/// address with a host and nothing after the path (no query, no fragment,
/// no user name), without its trailing slash.
pub fn check_public_endpoint(typed: &str) -> Result<Option<String>, String> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    let problem = || {
        "Type the address browsers reach the storage service at, like https://s3.example.com or http://localhost:9000.".to_owned()
    };
    let url = url::Url::parse(typed).map_err(|_| problem())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host_str().is_none()
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(problem());
    }
    Ok(Some(url.as_str().trim_end_matches('/').to_owned()))
}

/// Saves a bucket's settings (bucket Owners): a new key pair is tested
/// against the same bucket first; the name and the key change together or
/// not at all. The old secret is overwritten.
pub async fn save_settings(
    db: &PgPool,
    s3: &S3Clients,
    can: &Can<'_, Owner, BucketGrant>,
    actor: &Actor,
    origin: &Origin,
    settings: BucketSettings,
) -> Result<(), CoreError> {
    can.may(Scope::Admin)?;
    let bucket = can.bucket();
    let mut problems = Vec::new();
    if let Err(message) = check_display_name(&settings.display_name, "bucket") {
        problems.push(FieldError {
            field: "display_name",
            code: "invalid",
            message,
        });
    }
    let new_key = settings
        .new_key
        .map(|(key_id, secret)| match key_id.trim() {
            "" => (bucket.access_key_id.clone().unwrap_or_default(), secret),
            _ => (key_id, secret),
        });
    if new_key.is_some() && bucket.role_arn.is_some() {
        problems.push(FieldError {
            field: "access_key_id",
            code: "role_bucket",
            message: "This bucket is reached through an IAM role, and has no key to replace. To use a key \
                      instead, connect the bucket again with it."
                .into(),
        });
    }
    if let Some((key_id, secret)) = &new_key {
        if let Err(message) = check_access_key_id(key_id.trim()) {
            problems.push(FieldError {
                field: "access_key_id",
                code: "invalid",
                message,
            });
        }
        if let Err(message) = check_secret_key(secret.expose_secret().trim()) {
            problems.push(FieldError {
                field: "secret_access_key",
                code: "invalid",
                message,
            });
        }
    }
    let public_endpoint = match settings
        .public_endpoint
        .as_deref()
        .map(check_public_endpoint)
    {
        None => None,
        Some(Ok(url)) => Some(url),
        Some(Err(message)) => {
            problems.push(FieldError {
                field: "public_endpoint_url",
                code: "invalid",
                message,
            });
            None
        }
    };
    if !problems.is_empty() {
        return Err(CoreError::Invalid(problems));
    }
    let new_key = match new_key {
        None => None,
        Some((key_id, secret)) => {
            let key_id = key_id.trim().to_owned();
            let secret = SecretString::from(secret.expose_secret().trim().to_owned());
            let connection = Connection {
                bucket: bucket.bucket_name.clone(),
                region: bucket.region.clone(),
                endpoint: bucket.endpoint_url.clone(),
                path_style: bucket.path_style,
                signer: Signer::Key {
                    access_key_id: key_id.clone(),
                    secret_access_key: secret.clone(),
                },
            };
            let addressing = if bucket.path_style {
                Addressing::PathStyle
            } else {
                Addressing::VirtualHost
            };
            test_connection(&connection, addressing, s3.options())
                .await
                .map_err(CoreError::Storage)?;
            Some((
                key_id.clone(),
                seal(s3, bucket.bucket_id(), &key_id, &secret)?,
            ))
        }
    };
    let name = settings.display_name.trim();
    let mut tx = db.begin().await?;
    let workspace = Some(WorkspaceId(bucket.workspace_id));
    if let Some((key_id, sealed)) = &new_key {
        rows::set_access_key(&mut *tx, bucket.bucket_id(), key_id, bucket.path_style).await?;
        store(&mut tx, bucket.bucket_id(), sealed).await?;
        let event = audit::NewEvent {
            workspace_id: workspace,
            bucket_id: Some(bucket.bucket_id()),
            ..actor.event(
                origin,
                "bucket_key_replaced",
                json!({ "access_key_id": key_id }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    if let Some(url) = public_endpoint
        && url != bucket.public_endpoint_url
    {
        rows::set_public_endpoint(&mut *tx, bucket.bucket_id(), url.as_deref()).await?;
        let event = audit::NewEvent {
            workspace_id: workspace,
            bucket_id: Some(bucket.bucket_id()),
            ..actor.event(
                origin,
                "bucket_public_endpoint_set",
                json!({ "public_endpoint_url": url }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    if let Some(proxy) = settings.proxy_downloads
        && proxy != bucket.proxy_downloads
    {
        rows::set_proxy_downloads(&mut *tx, bucket.bucket_id(), proxy).await?;
        let event = audit::NewEvent {
            workspace_id: workspace,
            bucket_id: Some(bucket.bucket_id()),
            ..actor.event(
                origin,
                "bucket_proxy_downloads_set",
                json!({ "proxy_downloads": proxy }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    if name != bucket.display_name {
        match rows::rename(&mut *tx, bucket.bucket_id(), name).await {
            Err(e) if is_violation(&e, NAME_CONSTRAINT) => return Err(name_taken()),
            other => other?,
        }
        let event = audit::NewEvent {
            workspace_id: workspace,
            bucket_id: Some(bucket.bucket_id()),
            ..actor.event(
                origin,
                "bucket_renamed",
                json!({ "from": bucket.display_name, "to": name }),
            )
        };
        audit::record(&mut *tx, event).await?;
    }
    tx.commit().await?;
    if new_key.is_some() {
        s3.forget(bucket.id);
    }
    Ok(())
}

/// Deletes the connection and its sealed secret (bucket Owners). Nothing
/// in the bucket itself changes.
pub async fn disconnect(
    db: &PgPool,
    s3: &S3Clients,
    can: &Can<'_, Owner, BucketGrant>,
    actor: &Actor,
    origin: &Origin,
) -> Result<(), CoreError> {
    can.may(Scope::Admin)?;
    let bucket = can.bucket();
    let mut tx = db.begin().await?;
    let event = audit::NewEvent {
        workspace_id: Some(WorkspaceId(bucket.workspace_id)),
        ..actor.event(
            origin,
            "bucket_disconnected",
            json!({ "bucket_id": bucket.id, "bucket": bucket.bucket_name, "name": bucket.display_name }),
        )
    };
    audit::record(&mut *tx, event).await?;
    rows::delete(&mut *tx, bucket.bucket_id()).await?;
    tx.commit().await?;
    s3.forget(bucket.id);
    Ok(())
}
