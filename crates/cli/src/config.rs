//! Where `bdk` keeps its profiles: `$BDK_CONFIG`, else
//! `$XDG_CONFIG_HOME/bdk/config.json`, else `~/.config/bdk/config.json`,
//! written with mode 0600 (it holds tokens). `BDK_URL` and `BDK_TOKEN` in
//! the environment stand in for a profile (for CI jobs and containers).

use crate::error::Failure;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Profile {
    /// `https://files.example.com`
    pub url: String,
    pub token: String,
}

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Config {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

pub fn path() -> Result<PathBuf, Failure> {
    if let Some(path) = std::env::var_os("BDK_CONFIG") {
        return Ok(PathBuf::from(path));
    }
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
        .ok_or_else(|| {
            Failure::usage("Set HOME or BDK_CONFIG: bdk needs a place for its profiles.")
        })?;
    Ok(base.join("bdk").join("config.json"))
}

pub fn load() -> Result<Config, Failure> {
    let path = path()?;
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            Failure::error(format!("{} is not a bdk config file: {e}", path.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Config::default()),
        Err(e) => Err(Failure::error(format!(
            "cannot read {}: {e}",
            path.display()
        ))),
    }
}

pub fn save(config: &Config) -> Result<PathBuf, Failure> {
    let path = path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Failure::error(format!("cannot create {}: {e}", dir.display())))?;
    }
    let text = serde_json::to_string_pretty(config).map_err(|e| Failure::error(e.to_string()))?;
    write_private(&path, text.as_bytes())
        .map_err(|e| Failure::error(format!("cannot write {}: {e}", path.display())))?;
    Ok(path)
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // an older file keeps its mode on open: make it private too
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The profile to use: `BDK_URL` and `BDK_TOKEN` when both are set, else
/// the named one from the config file.
pub fn profile(name: &str) -> Result<Profile, Failure> {
    if let (Ok(url), Ok(token)) = (std::env::var("BDK_URL"), std::env::var("BDK_TOKEN")) {
        return Ok(Profile { url, token });
    }
    load()?.profiles.remove(name).ok_or_else(|| {
        Failure::usage(format!(
            "No profile \"{name}\". Run: bdk login https://your-bucketdesk --profile {name}"
        ))
    })
}
