//! Pure types and rules of bucketdesk. Nothing here does I/O: every other crate
//! depends on this one, and this one on none of them.

pub mod bucket;
mod email;
pub mod grants;
mod ids;
pub mod link;
pub mod login;
pub mod object;
mod role;
mod scope;
mod signup;
pub mod text;

pub use email::{Email, EmailError};
pub use ids::{BucketId, UserId, WorkspaceId};
pub use role::{Role, UnknownRole};
pub use scope::{Scope, Scopes};
pub use signup::{SignupPolicy, SignupPolicyError, WorkspaceCreators, WorkspaceCreatorsError};
