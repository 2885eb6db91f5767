//! What every request passes through, besides the session layer: CSRF checks,
//! security headers, request logging without secrets, and the database gate.

pub mod csrf;
pub mod database;
pub mod headers;
pub mod logging;
