//! Logging: `tracing` to standard error, filtered by `RUST_LOG` (default
//! `info`), as text or JSON. Nothing logged may contain a login code, session
//! id, token, secret key or signature (S13): log ids and outcomes, not values.

use tracing_subscriber::EnvFilter;

pub fn init(json: bool) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx::postgres::notice=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
