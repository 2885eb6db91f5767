//! The demo bucket of the local start (`scripts/start`): an S3-compatible
//! server on loopback serving `$BUCKETDESK_DATA_DIR/demo-s3`, a few sample
//! files, and a "Demo" workspace for `BUCKETDESK_DEMO_OWNER` with the bucket
//! connected the normal way (tested, its secret sealed like any other).

use crate::config::Config;
use anyhow::Context;
use bucketdesk_core::access::{self, Owner};
use bucketdesk_core::buckets::{self as buckets_core, NewConnection};
use bucketdesk_core::workspaces as core_workspaces;
use bucketdesk_core::{Actor, CoreError, Origin, Via};
use bucketdesk_db::{buckets, users};
use bucketdesk_domain::{Email, WorkspaceCreators};
use bucketdesk_s3_local::LocalS3;
use bucketdesk_storage::{Addressing, Connection, Signer, s3_client};
use bucketdesk_web::AppState;
use rand::Rng;
use std::path::Path;

const BUCKET: &str = "demo";

/// The sample files: key, content type, bytes.
const SAMPLES: &[(&str, &str, &[u8])] = &[
    (
        "README.md",
        "text/markdown; charset=utf-8",
        include_bytes!("../demo/README.md"),
    ),
    (
        "notes.txt",
        "text/plain; charset=utf-8",
        include_bytes!("../demo/notes.txt"),
    ),
    (
        "images/bucket.png",
        "image/png",
        include_bytes!("../demo/bucket.png"),
    ),
    (
        "documents/welcome.pdf",
        "application/pdf",
        include_bytes!("../demo/welcome.pdf"),
    ),
    (
        "reports/2026/q3/summary.csv",
        "text/csv; charset=utf-8",
        include_bytes!("../demo/summary.csv"),
    ),
];

/// The demo server's key pair: made once, kept beside its folder (mode 0600).
fn credentials(path: &Path) -> anyhow::Result<(String, String)> {
    if let Ok(text) = std::fs::read_to_string(path)
        && let Some((key, secret)) = text.trim().split_once(':')
    {
        return Ok((key.to_owned(), secret.to_owned()));
    }
    let mut rng = rand::rngs::OsRng;
    let pick = |rng: &mut rand::rngs::OsRng, alphabet: &[u8], n: usize| -> String {
        (0..n)
            .map(|_| alphabet[rng.gen_range(0..alphabet.len())] as char)
            .collect()
    };
    let key = format!(
        "BDDEMO{}",
        pick(&mut rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 14)
    );
    let secret = pick(
        &mut rng,
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        40,
    );
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    std::io::Write::write_all(
        &mut options.open(path)?,
        format!("{key}:{secret}\n").as_bytes(),
    )?;
    Ok((key, secret))
}

/// Starts the demo S3 server and makes sure the owner has the demo bucket.
/// Returns the server, which runs until it is dropped.
pub async fn start(config: &Config, state: &AppState, owner: &Email) -> anyhow::Result<LocalS3> {
    let root = config.data_dir.join("demo-s3");
    let (access_key, secret_key) = credentials(&config.data_dir.join("demo-s3.credentials"))
        .context("cannot keep the demo S3 server's credentials")?;
    let s3 = LocalS3::start(&root, config.demo_s3_bind, &access_key, &secret_key)
        .await
        .with_context(|| {
            format!(
                "BUCKETDESK_DEMO_S3_BIND: cannot serve the demo bucket on {}",
                config.demo_s3_bind
            )
        })?;
    let connection = Connection {
        bucket: BUCKET.to_owned(),
        region: "us-east-1".to_owned(),
        endpoint: Some(s3.endpoint()),
        path_style: true,
        signer: Signer::key(access_key.clone(), secret_key.clone()),
    };

    if !root.join(BUCKET).exists() {
        s3.create_bucket(BUCKET)?;
        let client = s3_client(&connection, &state.settings.storage);
        for (key, content_type, bytes) in SAMPLES {
            client
                .put_object()
                .bucket(BUCKET)
                .key(*key)
                .content_type(*content_type)
                .body(bytes.to_vec().into())
                .send()
                .await
                .with_context(|| format!("cannot put the sample file {key}"))?;
        }
    }

    let Some(user) = users::find_by_email(&state.db, owner).await? else {
        tracing::warn!(%owner, "BUCKETDESK_DEMO_OWNER has no account (create it with `bucketdesk admin add`): no demo workspace");
        return Ok(s3);
    };
    if buckets::user_has_bucket_at(&state.db, user.user_id(), &s3.endpoint(), BUCKET).await? {
        return Ok(s3);
    }
    // the same operations as the "New workspace" and "Connect a bucket"
    // forms, audit events included
    let origin = Origin::new(
        [127, 0, 0, 1].into(),
        Some("bucketdesk local start".to_owned()),
    );
    let actor = Actor {
        user: user.clone(),
        via: Via::Session { strong: false },
    };
    let workspace = core_workspaces::create(
        &state.db,
        &actor,
        &origin,
        WorkspaceCreators::Everyone,
        "Demo",
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot create the demo workspace: {e}"))?;
    let grant = access::workspace(&state.db, &actor, workspace.workspace_id())
        .await
        .map_err(|e| anyhow::anyhow!("the demo workspace: {e}"))?;
    let owner_can = grant
        .can::<Owner>()
        .map_err(|e| anyhow::anyhow!("the demo workspace: {e}"))?;
    let new = NewConnection {
        display_name: "Demo bucket".to_owned(),
        provider: bucketdesk_storage::Provider::Local,
        bucket: BUCKET.to_owned(),
        region: "us-east-1".to_owned(),
        endpoint: Some(s3.endpoint()),
        access: buckets_core::NewAccess::Key {
            access_key_id: access_key.clone(),
            secret_access_key: secret_key.clone().into(),
        },
        addressing: Addressing::Auto,
        // the local start's server is on this machine, as the browser is
        public_endpoint: None,
    };
    match buckets_core::connect(
        &state.db,
        &state.s3_clients,
        &owner_can,
        &actor,
        &origin,
        new,
    )
    .await
    {
        Ok(_) => tracing::info!(%owner, endpoint = %s3.endpoint(), "connected the demo bucket"),
        Err(CoreError::Storage(problem)) => {
            tracing::warn!(%problem, "could not connect the demo bucket")
        }
        Err(other) => return Err(anyhow::anyhow!("cannot connect the demo bucket: {other}")),
    }
    Ok(s3)
}
