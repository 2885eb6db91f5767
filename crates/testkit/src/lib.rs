//! Test helpers: the real app on port 0 with a fresh database, an SMTP sink, HTTP clients.
