//! Pure types and rules of bucketdesk. Nothing here does I/O: every other crate
//! depends on this one, and this one on none of them.

mod email;
mod ids;
pub mod login;
mod signup;

pub use email::{Email, EmailError};
pub use ids::UserId;
pub use signup::{SignupPolicy, SignupPolicyError};
