//! Talking to S3 and S3-compatible services on behalf of a connected bucket.
//!
//! - [`endpoint`]: which endpoints may be reached at all (S12), checked when a
//!   bucket is connected and again on every connection, at DNS time.
//! - [`client`]: an S3 client built from the bucket's own static key or its
//!   role session, never from the host's AWS credential chain, with
//!   explicit timeouts (R3), each call timed and counted ([`metered`]).
//! - [`role`]: bucketdesk's own AWS identity, and the role sessions of
//!   buckets connected by role ARN.
//! - [`probe`]: the one-key listing that tests a connection before it is
//!   saved, with every failure explained in plain words.
//! - [`cors`]: a bucket's CORS rules, which decide whether browsers may
//!   send it parts directly.
//! - [`providers`]: endpoint presets (AWS, R2, MinIO, B2, Wasabi, Spaces).
//! - [`objects`] and [`upload`]: listing, reading, changing and uploading objects.

pub mod client;
pub mod cors;
pub mod endpoint;
pub mod metered;
pub mod objects;
pub mod probe;
pub mod providers;
pub mod role;
pub mod upload;

pub use client::{Connection, Signer, StorageOptions, s3_client};
pub use endpoint::{EndpointError, check_endpoint_url};
pub use probe::{Addressing, ConnectError, check_client, test_connection};
pub use providers::Provider;
pub use role::{HostIdentity, RoleSession};
