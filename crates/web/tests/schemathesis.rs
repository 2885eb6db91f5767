//! schemathesis (PyPI) against the generated OpenAPI document, with a valid
//! token for a workspace whose bucket holds files: no answer is a server
//! error, and every answer (status, content type, body) matches the
//! document. `scripts/test` installs schemathesis and sets `SCHEMATHESIS`.

#![allow(clippy::unwrap_used)] // a failed unwrap in a test is a failed test

use bucketdesk_testkit::TestApp;

fn schemathesis() -> String {
    std::env::var("SCHEMATHESIS").unwrap_or_else(|_| {
        panic!(
            "set SCHEMATHESIS to the schemathesis command (scripts/test installs it: \
             python3 -m venv target/schemathesis && target/schemathesis/bin/pip install schemathesis)"
        )
    })
}

#[tokio::test]
async fn every_api_answer_matches_the_openapi_document_and_none_is_a_server_error() {
    let app = TestApp::spawn().await;
    app.s3.create_bucket("photos").unwrap();
    std::fs::create_dir_all(app.s3.root.join("photos/2026")).unwrap();
    std::fs::write(app.s3.root.join("photos/readme.txt"), b"hello").unwrap();
    std::fs::write(app.s3.root.join("photos/2026/a.jpg"), b"first").unwrap();
    let alice = app.sign_in_as("alice@example.com").await;
    let workspace = alice.create_workspace("Team").await;
    let bucket = alice
        .connect_bucket(&workspace, &app.s3, "Photos", "photos")
        .await;
    let token = alice
        .make_access_token("schemathesis", &["read", "write", "share", "admin"])
        .await;
    let link: serde_json::Value = reqwest::Client::new()
        .post(format!(
            "{}/api/v1/workspaces/{workspace}/buckets/{bucket}/links",
            app.url
        ))
        .bearer_auth(&token)
        .json(&serde_json::json!({"keys": ["readme.txt"]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("schemathesis.toml");
    // real ids for the path, so bodies and queries are tried on a real bucket
    std::fs::write(
        &config,
        format!(
            "[parameters]\n\"path.workspace\" = \"{workspace}\"\n\"path.bucket\" = \"{bucket}\"\n\"path.link\" = \"{}\"\n",
            link["id"].as_str().unwrap()
        ),
    )
    .unwrap();
    let run = tokio::process::Command::new(schemathesis())
        .current_dir(dir.path())
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/api/v1/openapi.json", app.url))
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
            "--max-examples",
            "25",
            "--phases",
            "examples,coverage,fuzzing",
            "--seed",
            "1",
            "--no-color",
            "--header",
        ])
        .arg(format!("Authorization: Bearer {token}"))
        .output()
        .await
        .unwrap();
    let out = String::from_utf8_lossy(&run.stdout);
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "schemathesis found problems:\n{out}\n{err}"
    );
}
