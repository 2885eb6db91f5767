//! One module per group of commands; `main.rs` parses and dispatches.

pub mod account;
mod chunked;
pub mod connect;
pub mod copy;
pub mod files;
pub mod inspect;
pub mod links;
pub mod presign;
