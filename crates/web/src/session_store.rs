//! The session store: tower-sessions' Postgres store, given only a hash of
//! each session id (S17). The cookie carries the id; the table row is found
//! by SHA-256 of it, and the id is never written, not even inside the row's
//! data, so a copy of the database signs nobody in.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use tower_sessions::ExpiredDeletion;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};
use tower_sessions_sqlx_store::PostgresStore;

#[derive(Debug, Clone)]
pub struct HashedIdStore {
    inner: PostgresStore,
}

impl HashedIdStore {
    pub fn new(db: sqlx::PgPool) -> Self {
        HashedIdStore {
            inner: PostgresStore::new(db),
        }
    }

    /// Creates the session table (schema `tower_sessions`) if it is missing.
    pub async fn migrate(&self) -> sqlx::Result<()> {
        self.inner.migrate().await
    }
}

/// What the table knows a session by: the first 128 bits of SHA-256 of its
/// id. Ids are 128 random bits, so the hash needs no key to be one-way.
pub fn stored_id(id: &Id) -> Id {
    let digest = Sha256::digest(id.0.to_le_bytes());
    let mut first = [0u8; 16];
    first.copy_from_slice(&digest[..16]);
    Id(i128::from_le_bytes(first))
}

/// The record as stored: under the hashed id.
fn stored(record: &Record) -> Record {
    Record {
        id: stored_id(&record.id),
        ..record.clone()
    }
}

#[async_trait]
impl SessionStore for HashedIdStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // a fresh random id whose hash names no row yet (the inner store
        // would pick another id on a clash, one we could not hand out)
        while self.inner.load(&stored_id(&record.id)).await?.is_some() {
            record.id = Id::default();
        }
        self.inner.save(&stored(record)).await
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.inner.save(&stored(record)).await
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        Ok(self
            .inner
            .load(&stored_id(id))
            .await?
            .map(|record| Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(&stored_id(id)).await
    }
}

#[async_trait]
impl ExpiredDeletion for HashedIdStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        self.inner.delete_expired().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_id_is_a_fixed_one_way_function_of_the_id() {
        let id = Id(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        assert_eq!(stored_id(&id), stored_id(&id));
        assert_ne!(stored_id(&id), id);
        assert_ne!(stored_id(&id), stored_id(&Id(id.0 + 1)));
    }
}
