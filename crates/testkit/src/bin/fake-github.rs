//! A fake GitHub for trying "Sign in with GitHub" by hand, without a GitHub
//! OAuth app: it consents at once, as the person named on the command line.
//!
//! ```sh
//! cargo run -p bucketdesk-testkit --bin fake-github -- 42 bob bob@example.com
//! # then start bucketdesk with the four GITHUB_* variables it prints
//! ```

use bucketdesk_testkit::{FakeGithub, GithubPerson};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [id, login, email] = args.as_slice() else {
        eprintln!(
            "usage: fake-github GITHUB_ID LOGIN VERIFIED_EMAIL  (e.g. 42 bob bob@example.com)"
        );
        std::process::exit(2);
    };
    let Ok(id) = id.parse::<i64>() else {
        eprintln!("GITHUB_ID is a number, e.g. 42");
        std::process::exit(2);
    };
    let bind = std::env::var("FAKE_GITHUB_BIND").unwrap_or_else(|_| "127.0.0.1:8444".into());
    let github = FakeGithub::start_on(&bind).await;
    github.sign_in_as(GithubPerson::verified(id, login, email));
    let settings = github.settings();
    println!(
        "A fake GitHub, signed in as {login} ({email}), is at {}",
        github.url
    );
    println!("Start bucketdesk with:");
    println!(
        "  GITHUB_URL={url} GITHUB_API_URL={url} GITHUB_CLIENT_ID={} GITHUB_CLIENT_SECRET={}",
        settings.client_id,
        bucketdesk_testkit::FAKE_GITHUB_SECRET,
        url = github.url,
    );
    let _ = tokio::signal::ctrl_c().await;
}
