//! The instance key at start-up, and the `keys` commands.
//!
//! The key file and the database must agree: a database holding secrets
//! sealed with a key the file does not hold stops start-up with a clear
//! error, instead of a new key silently orphaning every stored secret.

use crate::config::Config;
use anyhow::{Context, bail};
use bucketdesk_db::{PgPool, buckets, links, second_factor};
use bucketdesk_vault::{InstanceKey, KeyFileOutcome, TokenBox};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where a rotation puts the new key before the database switches to it.
fn next_path(path: &Path) -> PathBuf {
    PathBuf::from(format!("{}.next", path.display()))
}

fn retired_path(path: &Path, id: &str) -> PathBuf {
    PathBuf::from(format!("{}.retired-{id}", path.display()))
}

fn describe(counts: &[(String, i64)]) -> String {
    counts
        .iter()
        .map(|(id, n)| format!("{n} sealed with key {id}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Loads the key file, or creates it when it is missing and nothing in the
/// database needs an existing key.
pub async fn load_for_serving(config: &Config, pool: &PgPool) -> anyhow::Result<Arc<InstanceKey>> {
    let path = config.key_file.clone();
    let counts = buckets::secrets_per_key(pool)
        .await
        .context("cannot read the stored secrets")?;
    let stored: i64 = counts.iter().map(|(_, n)| n).sum();
    if !path.exists() && stored > 0 {
        bail!(
            "BUCKETDESK_KEY_FILE: {} does not exist, but the database holds bucket secrets ({}). \
             Restore the key file from your backup: a new key could not decrypt them.",
            path.display(),
            describe(&counts)
        );
    }
    let (key, outcome) = tokio::task::spawn_blocking(move || InstanceKey::load_or_create(&path))
        .await?
        .context("BUCKETDESK_KEY_FILE")?;
    if let Some((other, _)) = counts.iter().find(|(id, _)| id != key.id()) {
        let next = next_path(&config.key_file);
        let hint = if next.exists() {
            format!(
                " A key rotation was interrupted: if {} holds key {other}, move it to {}.",
                next.display(),
                config.key_file.display()
            )
        } else {
            " Point BUCKETDESK_KEY_FILE at the key they were sealed with (restore it from your backup).".to_owned()
        };
        bail!(
            "BUCKETDESK_KEY_FILE: {} holds key {}, but the database holds bucket secrets ({}).{hint}",
            config.key_file.display(),
            key.id(),
            describe(&counts)
        );
    }
    if outcome == KeyFileOutcome::Created {
        tracing::warn!(
            path = %config.key_file.display(), key_id = key.id(),
            "CREATED A NEW INSTANCE KEY. Back this file up and keep it secret: without it, stored bucket secrets cannot be decrypted."
        );
    } else {
        tracing::info!(path = %config.key_file.display(), key_id = key.id(), secrets = stored, "loaded the instance key");
    }
    Ok(Arc::new(key))
}

pub async fn status(config: &Config, pool: &PgPool) -> anyhow::Result<()> {
    let counts = buckets::secrets_per_key(pool).await?;
    let path = config.key_file.clone();
    let key_id = if path.exists() {
        let key = tokio::task::spawn_blocking(move || InstanceKey::load(&path)).await??;
        println!("Instance key: {} ({})", key.id(), config.key_file.display());
        Some(key.id().to_owned())
    } else {
        println!(
            "No key file at {} yet: `bucketdesk serve` creates one.",
            config.key_file.display()
        );
        None
    };
    let (mine, others): (Vec<_>, Vec<_>) = counts
        .into_iter()
        .partition(|(id, _)| Some(id) == key_id.as_ref());
    println!(
        "Bucket secrets it protects: {}",
        mine.iter().map(|(_, n)| n).sum::<i64>()
    );
    if !others.is_empty() {
        println!(
            "Bucket secrets sealed with other keys: {}",
            describe(&others)
        );
    }
    Ok(())
}

/// A new key pair; every stored data key re-wrapped under it in one
/// transaction; the old key file kept aside.
pub async fn rotate(config: &Config, pool: &PgPool) -> anyhow::Result<()> {
    let path = config.key_file.clone();
    let old = {
        let path = path.clone();
        tokio::task::spawn_blocking(move || InstanceKey::load(&path))
            .await?
            .context("BUCKETDESK_KEY_FILE")?
    };
    let counts = buckets::secrets_per_key(pool).await?;
    if let Some((other, _)) = counts.iter().find(|(id, _)| id != old.id()) {
        bail!(
            "the database holds secrets sealed with key {other}, not with {} in {}: fix that first",
            old.id(),
            path.display()
        );
    }
    let next_file = next_path(&path);
    if next_file.exists() {
        bail!(
            "{} exists: an earlier rotation did not finish. Check it, then delete or move it.",
            next_file.display()
        );
    }
    println!("Generating a new RSA-4096 key pair...");
    let next = tokio::task::spawn_blocking(InstanceKey::generate).await??;
    next.write_new(&next_file)?;

    let mut tx = pool.begin().await?;
    let rows = buckets::lock_all_secrets(&mut *tx).await?;
    let count = rows.len();
    for row in rows {
        let bucket = row.bucket_id;
        let sealed = bucketdesk_core::s3_clients::sealed_from_row(row);
        let moved = old
            .rewrap(&sealed, &next)
            .with_context(|| format!("bucket {bucket}"))?;
        buckets::rewrap_secret(&mut *tx, bucket, &moved.key_id, &moved.wrapped_key).await?;
    }
    // link addresses, sealed for copying again, move to the new key too
    let (old_box, next_box) = (
        TokenBox::for_link_tokens(&old),
        TokenBox::for_link_tokens(&next),
    );
    for (id, sealed) in links::lock_all_sealed_tokens(&mut *tx).await? {
        // one that does not open (sealed before an earlier rotation) stays as it is
        if let Some(token) = old_box.open(&sealed, id.as_bytes()) {
            links::set_sealed_token(&mut *tx, id, &next_box.seal(&token, id.as_bytes())).await?;
        }
    }
    // and the secrets of authenticator apps
    let (old_box, next_box) = (
        TokenBox::for_second_factors(&old),
        TokenBox::for_second_factors(&next),
    );
    for (user, sealed) in second_factor::lock_all_sealed(&mut *tx).await? {
        match old_box.open(&sealed, user.as_bytes()) {
            Some(secret) => {
                let sealed = next_box.seal(&secret, user.as_bytes());
                second_factor::set_sealed(&mut *tx, user, &sealed).await?;
            }
            // its owner signs in with a recovery code and adds the app again
            None => println!(
                "The authenticator app of user {user} was not sealed with this key; it stays as it is."
            ),
        }
    }
    tx.commit()
        .await
        .context("cannot save the re-wrapped secrets")?;

    let retired = retired_path(&path, old.id());
    std::fs::rename(&path, &retired)
        .with_context(|| format!("cannot move the old key to {}", retired.display()))?;
    std::fs::rename(&next_file, &path)
        .with_context(|| format!("cannot move the new key to {}", path.display()))?;
    println!(
        "Rotated: {count} bucket secret{} now sealed with key {} ({}).\n\
         The old key {} is kept at {} until you delete it.\n\
         Restart running bucketdesk processes so they load the new key.",
        if count == 1 { " is" } else { "s are" },
        next.id(),
        path.display(),
        old.id(),
        retired.display()
    );
    Ok(())
}
