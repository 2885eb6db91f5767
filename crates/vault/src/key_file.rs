//! Loading, creating and identifying the instance key pair.

use hkdf::Hkdf;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey, LineEnding};
use rsa::{RsaPrivateKey, RsaPublicKey};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;

/// Size of the instance key: DESIGN.md asks for RSA-4096.
pub const KEY_BITS: usize = 4096;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the key file {path} holds no RSA private key in PEM form (PKCS#8 or PKCS#1)")]
    NotAKey { path: PathBuf },
    #[error(
        "the key file {path} holds a {bits}-bit key; bucketdesk needs at least {KEY_BITS} bits"
    )]
    TooSmall { path: PathBuf, bits: usize },
    #[error("cannot generate an RSA key: {0}")]
    Generate(rsa::Error),
}

/// Whether [`InstanceKey::load_or_create`] found the file or made it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFileOutcome {
    Loaded,
    Created,
}

/// The instance key pair. Its `Debug` shows only the key id.
pub struct InstanceKey {
    private: RsaPrivateKey,
    id: String,
}

impl std::fmt::Debug for InstanceKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InstanceKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl InstanceKey {
    /// Generates a new RSA-4096 key pair (seconds, even optimised).
    pub fn generate() -> Result<Self, KeyFileError> {
        let private = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, KEY_BITS)
            .map_err(KeyFileError::Generate)?;
        Ok(Self::from_private(private))
    }

    /// Parses a PEM private key (PKCS#8 or PKCS#1). `path` only names it in errors.
    pub fn from_pem(pem: &str, path: &Path) -> Result<Self, KeyFileError> {
        let private = RsaPrivateKey::from_pkcs8_pem(pem)
            .or_else(|_| RsaPrivateKey::from_pkcs1_pem(pem))
            .map_err(|_| KeyFileError::NotAKey {
                path: path.to_owned(),
            })?;
        let bits = rsa::traits::PublicKeyParts::size(&private) * 8;
        if bits < KEY_BITS {
            return Err(KeyFileError::TooSmall {
                path: path.to_owned(),
                bits,
            });
        }
        Ok(Self::from_private(private))
    }

    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let pem =
            Zeroizing::new(
                std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
                    path: path.to_owned(),
                    source,
                })?,
            );
        Self::from_pem(&pem, path)
    }

    /// Loads the key file, or creates it (mode 0600, parent folders too) when
    /// it does not exist. Never overwrites an existing file.
    pub fn load_or_create(path: &Path) -> Result<(Self, KeyFileOutcome), KeyFileError> {
        match std::fs::metadata(path) {
            Ok(_) => Ok((Self::load(path)?, KeyFileOutcome::Loaded)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let key = Self::generate()?;
                key.write_new(path)?;
                Ok((key, KeyFileOutcome::Created))
            }
            Err(source) => Err(KeyFileError::Read {
                path: path.to_owned(),
                source,
            }),
        }
    }

    /// Writes the key to a file that must not exist yet, readable by the owner only.
    pub fn write_new(&self, path: &Path) -> Result<(), KeyFileError> {
        let write_err = |source| KeyFileError::Write {
            path: path.to_owned(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(write_err)?;
        }
        let pem = self
            .private
            .to_pkcs8_pem(LineEnding::LF)
            .map_err(|_| KeyFileError::NotAKey {
                path: path.to_owned(),
            })?;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(path).map_err(write_err)?;
        file.write_all(pem.as_bytes()).map_err(write_err)?;
        file.sync_all().map_err(write_err)?;
        Ok(())
    }

    fn from_private(private: RsaPrivateKey) -> Self {
        let public = RsaPublicKey::from(&private);
        let der = public
            .to_public_key_der()
            .map(|d| d.into_vec())
            .unwrap_or_default();
        let id = hex::encode(&Sha256::digest(&der)[..8]);
        Self { private, id }
    }

    /// A short, stable name for the key pair: the start of the SHA-256 of its
    /// public key. Safe to log and to store beside what the key protects.
    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn public_key(&self) -> RsaPublicKey {
        RsaPublicKey::from(&self.private)
    }

    pub(crate) fn private_key(&self) -> &RsaPrivateKey {
        &self.private
    }

    /// A 32-byte secret for one purpose, derived from the private key with
    /// HKDF-SHA256. Different purposes give independent secrets, and none of
    /// them reveals the private key.
    pub fn derive_secret(&self, purpose: &str) -> Zeroizing<[u8; 32]> {
        let der = self
            .private
            .to_pkcs8_der()
            .map(|d| Zeroizing::new(d.as_bytes().to_vec()))
            .unwrap_or_default();
        let hk = Hkdf::<Sha256>::new(Some(b"bucketdesk instance key"), &der);
        let mut out = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit, so expand cannot fail
        let _ = hk.expand(purpose.as_bytes(), out.as_mut());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../testkit/fixtures/instance-key.pem");

    #[test]
    fn loads_a_pkcs8_key_and_names_it_stably() {
        let a = InstanceKey::from_pem(FIXTURE, Path::new("fixture")).unwrap();
        let b = InstanceKey::from_pem(FIXTURE, Path::new("fixture")).unwrap();
        assert_eq!(a.id(), b.id());
        assert_eq!(a.id().len(), 16);
    }

    #[test]
    fn derived_secrets_are_stable_and_separate_per_purpose() {
        let key = InstanceKey::from_pem(FIXTURE, Path::new("fixture")).unwrap();
        assert_eq!(*key.derive_secret("a"), *key.derive_secret("a"));
        assert_ne!(*key.derive_secret("a"), *key.derive_secret("b"));
    }

    #[test]
    fn refuses_a_file_that_is_not_a_key() {
        let err = InstanceKey::from_pem("hello", Path::new("/x/key.pem")).unwrap_err();
        assert!(err.to_string().contains("/x/key.pem"), "{err}");
    }

    #[test]
    fn refuses_keys_below_4096_bits() {
        let small = RsaPrivateKey::new(&mut rsa::rand_core::OsRng, 1024).unwrap();
        let pem = small.to_pkcs8_pem(LineEnding::LF).unwrap();
        assert!(matches!(
            InstanceKey::from_pem(&pem, Path::new("k")),
            Err(KeyFileError::TooSmall { bits: 1024, .. })
        ));
    }

    #[test]
    fn write_new_creates_an_owner_only_file_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/key.pem");
        let key = InstanceKey::from_pem(FIXTURE, Path::new("fixture")).unwrap();
        key.write_new(&path).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            key.write_new(&path),
            Err(KeyFileError::Write { .. })
        ));
        let (loaded, outcome) = InstanceKey::load_or_create(&path).unwrap();
        assert_eq!(outcome, KeyFileOutcome::Loaded);
        assert_eq!(loaded.id(), key.id());
    }
}
