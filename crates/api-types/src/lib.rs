//! The JSON of `/api/v1`, shared by the server (which writes it) and the
//! command-line client (which reads it). Times are RFC 3339 in UTC, sizes
//! are bytes, and every error is an [`ErrorBody`].

mod account;
mod audit;
mod error;
mod links;
mod members;
mod objects;
mod workspaces;

pub use account::*;
pub use audit::*;
pub use error::*;
pub use links::*;
pub use members::*;
pub use objects::*;
pub use workspaces::*;
