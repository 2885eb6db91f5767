//! What every request passes through, besides the session layer: CSRF checks,
//! security headers and request logging without secrets.

pub mod csrf;
pub mod headers;
pub mod logging;
