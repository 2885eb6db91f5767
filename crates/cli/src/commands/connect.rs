//! `bdk connect s3://BUCKET --from-profile NAME`: connects a bucket to a
//! workspace with the access key of a profile in your AWS config files
//! (`~/.aws/credentials` and `~/.aws/config`, or `AWS_SHARED_CREDENTIALS_FILE`
//! and `AWS_CONFIG_FILE`), read with `aws-config`, so whoever ran
//! `aws configure` connects a bucket in one command. The key goes once to
//! bucketdesk (over TLS), which tests it and stores it sealed, like a key
//! typed in the connect form. Only a long-lived access key can be stored: a
//! profile that gives temporary credentials (a role, SSO) is refused.

use crate::client::Client;
use crate::error::Failure;
use crate::{Output, print_json};
use aws_config::meta::region::ProvideRegion;
use aws_config::profile::{ProfileFileCredentialsProvider, ProfileFileRegionProvider};
use aws_credential_types::provider::ProvideCredentials;
use bucketdesk_api_types as api;

/// What to connect, as typed.
pub struct Connect<'a> {
    pub bucket: &'a str,
    pub from_profile: &'a str,
    pub name: Option<&'a str>,
    pub provider: Option<&'a str>,
    pub endpoint: Option<&'a str>,
    pub region: Option<&'a str>,
    pub workspace: Option<&'a str>,
}

/// The access key and region of an AWS profile.
struct ProfileKey {
    access_key_id: String,
    secret_access_key: String,
    region: Option<String>,
}

async fn read_profile(name: &str) -> Result<ProfileKey, Failure> {
    // only for a profile that assumes a role (then refused below); rustls
    // with ring, as everywhere else (STACK.md)
    let https = aws_smithy_http_client::Builder::new()
        .tls_provider(aws_smithy_http_client::tls::Provider::Rustls(
            aws_smithy_http_client::tls::rustls_provider::CryptoMode::Ring,
        ))
        .build_https();
    let config = aws_config::provider_config::ProviderConfig::default().with_http_client(https);
    let credentials = ProfileFileCredentialsProvider::builder()
        .configure(&config)
        .profile_name(name)
        .build()
        .provide_credentials()
        .await
        .map_err(|e| {
            Failure::usage(format!(
                "The AWS profile \"{name}\" gives no access key: {}",
                aws_smithy_chain(&e)
            ))
        })?;
    if credentials.session_token().is_some() {
        return Err(Failure::usage(format!(
            "The AWS profile \"{name}\" gives temporary credentials (a role or an SSO session), which stop working within hours. \
             bucketdesk stores a long-lived access key: use a profile with aws_access_key_id and aws_secret_access_key."
        )));
    }
    let region = ProvideRegion::region(
        &ProfileFileRegionProvider::builder()
            .configure(&config)
            .profile_name(name)
            .build(),
    )
    .await
    .map(|region| region.to_string());
    Ok(ProfileKey {
        access_key_id: credentials.access_key_id().to_owned(),
        secret_access_key: credentials.secret_access_key().to_owned(),
        region,
    })
}

/// An error and its causes, in one line.
fn aws_smithy_chain(error: &dyn std::error::Error) -> String {
    let mut words = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        words.push_str(": ");
        words.push_str(&cause.to_string());
        source = cause.source();
    }
    words
}

/// The workspace to connect into: the one named (by name or id), or the
/// only one you own.
fn workspace_of<'w>(
    all: &'w api::Workspaces,
    wanted: Option<&str>,
) -> Result<&'w api::Workspace, Failure> {
    let owned: Vec<&api::Workspace> = all
        .workspaces
        .iter()
        .filter(|w| w.role == "owner")
        .collect();
    match wanted {
        Some(wanted) => all
            .workspaces
            .iter()
            .find(|w| w.id == wanted || w.name.eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Failure::usage(format!("You are in no workspace called \"{wanted}\"."))),
        None if owned.len() == 1 => Ok(owned[0]),
        None => Err(Failure::usage(format!(
            "Say which workspace with --workspace ({}).",
            if owned.is_empty() {
                "you own none: ask an owner, or create one on the home page".to_owned()
            } else {
                format!(
                    "you own {}",
                    owned
                        .iter()
                        .map(|w| w.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        ))),
    }
}

pub async fn connect(client: &Client, asked: &Connect<'_>, output: Output) -> Result<u8, Failure> {
    let bucket = asked
        .bucket
        .trim_start_matches("s3://")
        .trim_end_matches('/');
    if bucket.is_empty() || bucket.contains('/') {
        return Err(Failure::usage(
            "Name the bucket alone, like s3://photos (no folder: a whole bucket is connected).",
        ));
    }
    let key = read_profile(asked.from_profile).await?;
    let all: api::Workspaces = client.get("/api/v1/workspaces", &[]).await?;
    let workspace = workspace_of(&all, asked.workspace)?;
    let request = api::ConnectBucket {
        display_name: asked.name.unwrap_or(bucket).to_owned(),
        provider: asked.provider.unwrap_or_default().to_owned(),
        region: asked
            .region
            .map(str::to_owned)
            .or(key.region)
            .unwrap_or_default(),
        endpoint_url: asked.endpoint.unwrap_or_default().to_owned(),
        bucket_name: bucket.to_owned(),
        access_key_id: key.access_key_id,
        secret_access_key: key.secret_access_key,
        ..Default::default()
    };
    let connected: api::Bucket = client
        .post(
            &format!("/api/v1/workspaces/{}/buckets", workspace.id),
            &request,
        )
        .await?;
    match output {
        Output::Json => print_json(&connected)?,
        _ => println!(
            "Connected s3://{} as \"{}\" in {} with the key of the AWS profile \"{}\" (stored sealed).",
            connected.bucket, connected.name, workspace.name, asked.from_profile
        ),
    }
    Ok(0)
}
