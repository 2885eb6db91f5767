//! What every request passes through, besides the session layer: CSRF checks,
//! security headers, request logging without secrets, the database gate, and
//! the way back to a page after signing in.

pub mod csrf;
pub mod database;
pub mod headers;
pub mod logging;
pub mod return_to;
