//! Tokens that travel in links (invitations, share and upload links, sign-in
//! links) and in personal access tokens after their `bdk_`: 256 random
//! bits, URL-safe, and stored only as their SHA-256 (S14).

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// How long a token's text is: 32 bytes in unpadded base64url.
pub const TOKEN_CHARS: usize = 43;

pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A new token and its hash.
pub fn new_token() -> (String, Vec<u8>) {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

/// Could this be a token at all? (Truncated or altered ones are not looked up.)
pub fn looks_like_token(text: &str) -> bool {
    text.len() == TOKEN_CHARS
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_256_random_bits_and_are_stored_as_their_hash() {
        let (a, hash) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_CHARS);
        assert!(looks_like_token(&a));
        assert!(!looks_like_token(&a[..42]));
        assert!(!looks_like_token(&format!("{}!", &a[..42])));
        assert_eq!(hash, token_hash(&a));
        assert_eq!(hash.len(), 32);
    }
}
