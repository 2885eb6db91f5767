//! The instance RSA-4096 key pair (DESIGN.md "Credential encryption") and the
//! secrets derived from it.
//!
//! The key file is the one secret an operator must keep and back up. It is
//! created with mode 0600 on first start when absent, or supplied by the
//! operator (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY` PEM).
//!
//! Advisory RUSTSEC-2023-0071 (Marvin: a timing side channel in the `rsa`
//! crate's decryption) is acknowledged in `deny.toml`: bucketdesk only ever
//! decrypts ciphertexts it wrote itself and never one a caller supplies, so no
//! attacker can submit the chosen ciphertexts the attack needs.

mod envelope;
mod key_file;
mod token_box;

pub use envelope::{OpenError, SealError, Sealed, bucket_secret_context};
pub use key_file::{InstanceKey, KeyFileError, KeyFileOutcome};
pub use token_box::TokenBox;
