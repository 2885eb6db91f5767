//! Envelope encryption of stored secrets (DESIGN.md "Credential encryption").
//!
//! Each secret gets its own random AES-256-GCM data key. The secret is
//! encrypted under it with associated data naming the row it belongs to, so a
//! ciphertext copied into another row does not decrypt. The data key is
//! wrapped with RSA-OAEP-SHA256 under the instance public key. Sealing needs
//! only the public key; opening needs one RSA private operation, which is why
//! callers cache what they open.

use crate::InstanceKey;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use rsa::Oaep;
use sha2::Sha256;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

/// A sealed secret, as stored: which key wrapped it, the wrapped data key,
/// the nonce and the ciphertext (with its 16-byte tag).
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: String,
    pub wrapped_key: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed")
            .field("key_id", &self.key_id)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenError {
    #[error("the secret was sealed with key {sealed_with}, but the instance key is {instance}")]
    WrongKey {
        sealed_with: String,
        instance: String,
    },
    #[error("the secret does not decrypt: it was altered, or belongs to another row")]
    Corrupt,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot seal the secret: {0}")]
pub struct SealError(String);

/// The associated data binding a bucket's secret to that bucket and its
/// access key id.
pub fn bucket_secret_context(bucket_id: &str, access_key_id: &str) -> Vec<u8> {
    format!("bucketdesk bucket secret v1\0{bucket_id}\0{access_key_id}").into_bytes()
}

impl InstanceKey {
    pub fn seal(&self, secret: &[u8], context: &[u8]) -> Result<Sealed, SealError> {
        let mut data_key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(data_key.as_mut());
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher =
            Aes256Gcm::new_from_slice(data_key.as_ref()).map_err(|e| SealError(e.to_string()))?;
        let ciphertext = cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: secret,
                    aad: context,
                },
            )
            .map_err(|e| SealError(e.to_string()))?;
        Ok(Sealed {
            key_id: self.id().to_owned(),
            wrapped_key: self.wrap(data_key.as_ref())?,
            nonce: nonce.to_vec(),
            ciphertext,
        })
    }

    /// Decrypts a sealed secret. One RSA private operation: cache the result.
    pub fn open(&self, sealed: &Sealed, context: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        let data_key = self.unwrap(sealed)?;
        if sealed.nonce.len() != NONCE_LEN {
            return Err(OpenError::Corrupt);
        }
        let cipher =
            Aes256Gcm::new_from_slice(data_key.as_ref()).map_err(|_| OpenError::Corrupt)?;
        cipher
            .decrypt(
                Nonce::from_slice(&sealed.nonce),
                Payload {
                    msg: &sealed.ciphertext,
                    aad: context,
                },
            )
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Corrupt)
    }

    /// The same secret with its data key wrapped under `next` instead (key
    /// rotation). Nonce and ciphertext stay as they are.
    pub fn rewrap(&self, sealed: &Sealed, next: &InstanceKey) -> Result<Sealed, OpenError> {
        let data_key = self.unwrap(sealed)?;
        let wrapped_key = next
            .wrap(data_key.as_ref())
            .map_err(|_| OpenError::Corrupt)?;
        Ok(Sealed {
            key_id: next.id().to_owned(),
            wrapped_key,
            ..sealed.clone()
        })
    }

    fn wrap(&self, data_key: &[u8]) -> Result<Vec<u8>, SealError> {
        self.public_key()
            .encrypt(&mut rsa::rand_core::OsRng, Oaep::new::<Sha256>(), data_key)
            .map_err(|e| SealError(e.to_string()))
    }

    fn unwrap(&self, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, OpenError> {
        if sealed.key_id != self.id() {
            return Err(OpenError::WrongKey {
                sealed_with: sealed.key_id.clone(),
                instance: self.id().to_owned(),
            });
        }
        let data_key = self
            .private_key()
            .decrypt(Oaep::new::<Sha256>(), &sealed.wrapped_key)
            .map(Zeroizing::new)
            .map_err(|_| OpenError::Corrupt)?;
        if data_key.len() != 32 {
            return Err(OpenError::Corrupt);
        }
        Ok(data_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn key(n: u8) -> InstanceKey {
        let pem = match n {
            1 => include_str!("../../testkit/fixtures/instance-key.pem"),
            _ => include_str!("../../testkit/fixtures/instance-key-2.pem"),
        };
        InstanceKey::from_pem(pem, Path::new("fixture")).unwrap()
    }

    const SECRET: &[u8] = b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

    #[test]
    fn a_sealed_secret_opens_with_its_key_and_context() {
        let key = key(1);
        let context = bucket_secret_context("bucket-a", "AKIA1");
        let sealed = key.seal(SECRET, &context).unwrap();
        assert_eq!(sealed.key_id, key.id());
        assert_eq!(sealed.wrapped_key.len(), 512, "RSA-4096");
        assert!(!sealed.ciphertext.windows(SECRET.len()).any(|w| w == SECRET));
        assert_eq!(key.open(&sealed, &context).unwrap().as_slice(), SECRET);
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let key = key(1);
        let a = key.seal(SECRET, b"ctx").unwrap();
        let b = key.seal(SECRET, b"ctx").unwrap();
        assert_ne!(a.ciphertext, b.ciphertext);
        assert_ne!(a.wrapped_key, b.wrapped_key);
    }

    #[test]
    fn flipping_any_byte_makes_opening_fail() {
        let key = key(1);
        let sealed = key.seal(SECRET, b"ctx").unwrap();
        let positions = |len: usize| (0..len).step_by(41).chain([len - 1]).collect::<Vec<_>>();
        for i in positions(sealed.wrapped_key.len()) {
            let mut bad = sealed.clone();
            bad.wrapped_key[i] ^= 0x01;
            assert_eq!(
                key.open(&bad, b"ctx"),
                Err(OpenError::Corrupt),
                "wrapped key byte {i}"
            );
        }
        for i in 0..sealed.nonce.len() {
            let mut bad = sealed.clone();
            bad.nonce[i] ^= 0x80;
            assert_eq!(
                key.open(&bad, b"ctx"),
                Err(OpenError::Corrupt),
                "nonce byte {i}"
            );
        }
        for i in 0..sealed.ciphertext.len() {
            let mut bad = sealed.clone();
            bad.ciphertext[i] ^= 0x01;
            assert_eq!(
                key.open(&bad, b"ctx"),
                Err(OpenError::Corrupt),
                "ciphertext byte {i}"
            );
        }
    }

    #[test]
    fn a_secret_moved_to_another_row_does_not_open() {
        let key = key(1);
        let sealed = key
            .seal(SECRET, &bucket_secret_context("bucket-a", "AKIA1"))
            .unwrap();
        assert_eq!(
            key.open(&sealed, &bucket_secret_context("bucket-b", "AKIA1")),
            Err(OpenError::Corrupt)
        );
        assert_eq!(
            key.open(&sealed, &bucket_secret_context("bucket-a", "AKIA2")),
            Err(OpenError::Corrupt)
        );
    }

    #[test]
    fn another_instance_key_cannot_open_it_and_says_which_key_is_needed() {
        let sealed = key(1).seal(SECRET, b"ctx").unwrap();
        let err = key(2).open(&sealed, b"ctx").unwrap_err();
        assert!(
            matches!(err, OpenError::WrongKey { ref sealed_with, .. } if sealed_with == key(1).id())
        );
    }

    #[test]
    fn rewrapping_moves_a_secret_to_the_next_key() {
        let (old, next) = (key(1), key(2));
        let sealed = old.seal(SECRET, b"ctx").unwrap();
        let moved = old.rewrap(&sealed, &next).unwrap();
        assert_eq!(moved.key_id, next.id());
        assert_eq!(moved.ciphertext, sealed.ciphertext);
        assert_eq!(next.open(&moved, b"ctx").unwrap().as_slice(), SECRET);
        assert!(matches!(
            old.open(&moved, b"ctx"),
            Err(OpenError::WrongKey { .. })
        ));
    }
}
