//! Small secrets sealed under a key derived from the instance key (no RSA):
//! share-link tokens, so their creators can copy a link again while the
//! database holds only what no visitor can use.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand::RngCore;
use zeroize::Zeroizing;

const NONCE_LEN: usize = 12;

/// AES-256-GCM with one key; each sealed value is `nonce || ciphertext+tag`,
/// bound to `context` (for example the row's id).
pub struct TokenBox {
    key: Zeroizing<[u8; 32]>,
}

impl TokenBox {
    pub fn new(key: Zeroizing<[u8; 32]>) -> Self {
        TokenBox { key }
    }

    /// The box for revocable links' tokens, keyed from the instance key.
    pub fn for_link_tokens(instance: &crate::InstanceKey) -> Self {
        TokenBox::new(instance.derive_secret("link token box v1"))
    }

    /// The box for second factors' secrets (authenticator apps), keyed from
    /// the instance key.
    pub fn for_second_factors(instance: &crate::InstanceKey) -> Self {
        TokenBox::new(instance.derive_secret("second factor box v1"))
    }

    pub fn seal(&self, plain: &[u8], context: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let cipher = Aes256Gcm::new(self.key.as_ref().into());
        let mut out = nonce.to_vec();
        // encryption with a valid key and a small message cannot fail
        if let Ok(sealed) = cipher.encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plain,
                aad: context,
            },
        ) {
            out.extend_from_slice(&sealed);
        }
        out
    }

    /// The plain value, or `None` when it was altered, belongs to another
    /// context, or was sealed under another instance key (after `keys rotate`).
    pub fn open(&self, sealed: &[u8], context: &[u8]) -> Option<Zeroizing<Vec<u8>>> {
        if sealed.len() <= NONCE_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let cipher = Aes256Gcm::new(self.key.as_ref().into());
        cipher
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: context,
                },
            )
            .ok()
            .map(Zeroizing::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn boxed(byte: u8) -> TokenBox {
        TokenBox::new(Zeroizing::new([byte; 32]))
    }

    #[test]
    fn opens_what_it_sealed_for_the_same_context_only() {
        let sealed = boxed(1).seal(b"token", b"link a");
        assert_eq!(
            boxed(1).open(&sealed, b"link a").unwrap().as_slice(),
            b"token"
        );
        assert!(boxed(1).open(&sealed, b"link b").is_none());
        assert!(boxed(2).open(&sealed, b"link a").is_none());
        let mut tampered = sealed.clone();
        tampered[NONCE_LEN] ^= 1;
        assert!(boxed(1).open(&tampered, b"link a").is_none());
        assert!(boxed(1).open(&sealed[..5], b"link a").is_none());
        assert_ne!(
            sealed,
            boxed(1).seal(b"token", b"link a"),
            "a fresh nonce each time"
        );
    }
}
