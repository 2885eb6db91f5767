//! `bdk login` and `bdk whoami`.

use crate::client::Client;
use crate::config;
use crate::error::Failure;
use crate::{Output, print_json};
use std::io::{BufRead, IsTerminal, Write};

pub async fn login(profile: &str, url: &str, token_stdin: bool) -> Result<u8, Failure> {
    let url = url.trim_end_matches('/').to_owned();
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return Err(Failure::usage(
            "The URL starts with https:// (or http:// on your own machine).",
        ));
    }
    let token = match std::env::var("BDK_TOKEN") {
        Ok(token) if !token_stdin => token,
        _ => {
            let stdin = std::io::stdin();
            if !token_stdin && stdin.is_terminal() {
                eprint!("Make a token at {url}/account/tokens and paste it here: ");
                let _ = std::io::stderr().flush();
            }
            let mut line = String::new();
            stdin
                .lock()
                .read_line(&mut line)
                .map_err(|e| Failure::error(e.to_string()))?;
            line.trim().to_owned()
        }
    };
    if token.is_empty() {
        return Err(Failure::usage(format!(
            "No token given. Make one at {url}/account/tokens."
        )));
    }
    let saved = config::Profile {
        url: url.clone(),
        token,
    };
    let me = Client::new(&saved).me().await?;
    let mut all = config::load()?;
    all.profiles.insert(profile.to_owned(), saved);
    let path = config::save(&all)?;
    eprintln!(
        "Signed in to {url} as {} with the token \"{}\" ({}); saved as profile \"{profile}\" in {}.",
        me.email,
        me.token.name,
        me.token.scopes.join(", "),
        path.display()
    );
    Ok(0)
}

pub async fn whoami(client: &Client, output: Output) -> Result<u8, Failure> {
    let me = client.me().await?;
    match output {
        Output::Json => print_json(&me)?,
        _ => println!(
            "{} (token \"{}\" {}…, scopes {}, expires {})",
            me.email,
            me.token.name,
            me.token.prefix,
            me.token.scopes.join(", "),
            me.token.expires_at
        ),
    }
    Ok(0)
}
