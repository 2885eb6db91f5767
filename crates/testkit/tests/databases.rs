//! Each test's database goes with it, unless the test failed.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_testkit::{admin_database_url, empty_database};
use sqlx::Connection;

async fn exists(name: &str) -> bool {
    let mut conn = sqlx::PgConnection::connect(&admin_database_url())
        .await
        .unwrap();
    sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_test_database_is_dropped_when_its_test_ends_even_with_connections_open() {
    let database = empty_database().await;
    let name = database.to_string();
    let open = sqlx::PgPool::connect(&database.url()).await.unwrap();
    sqlx::query("select 1").execute(&open).await.unwrap();
    assert!(exists(&name).await);
    drop(database);
    assert!(!exists(&name).await, "dropped");
}

#[tokio::test]
async fn a_failed_tests_database_is_kept_for_a_look() {
    let database = empty_database().await;
    let name = database.to_string();
    // a test that fails while it holds its database
    let failed = std::thread::spawn(move || {
        let _kept = database;
        panic!("the test failed");
    })
    .join();
    assert!(failed.is_err());
    assert!(exists(&name).await, "kept");
    // and cleaned up here, as a later run would
    let mut conn = sqlx::PgConnection::connect(&admin_database_url())
        .await
        .unwrap();
    sqlx::query(&format!(r#"drop database "{name}" with (force)"#))
        .execute(&mut conn)
        .await
        .unwrap();
}
