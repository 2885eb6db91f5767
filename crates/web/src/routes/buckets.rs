//! Connected buckets: the connect form, a bucket's page, its settings
//! (rename, replace the key pair) and disconnecting it. Owners only, except
//! the bucket's page, which anyone with a role on the bucket sees.

use crate::bucket_connections::{self, ConnectFailure, NewConnection};
use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::routes::workspaces::location;
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::access::Owner;
use bucketdesk_db::buckets::Bucket;
use bucketdesk_domain::bucket::{
    check_access_key_id, check_bucket_name, check_display_name, check_region, check_secret_key,
};
use bucketdesk_storage::{Addressing, Connection, Provider, check_endpoint_url};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/w/{workspace}/buckets/new", get(show_connect_form))
        .route("/w/{workspace}/buckets", post(connect_bucket))
        .route(
            "/w/{workspace}/b/{bucket}/settings",
            get(show_settings).post(save_settings),
        )
        .route(
            "/w/{workspace}/b/{bucket}/disconnect",
            post(disconnect_bucket),
        )
}

type FieldErrors = BTreeMap<&'static str, String>;

/// What the connect form sends. Every field is text, so no input can fail to parse.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct ConnectForm {
    display_name: String,
    provider: String,
    r2_account_id: String,
    region: String,
    endpoint_url: String,
    bucket_name: String,
    addressing: String,
    access_key_id: String,
    secret_access_key: String,
}

impl ConnectForm {
    /// The form as it is shown again: what was typed, except the secret.
    fn redisplay(&self) -> ConnectForm {
        let keep = |s: &str, max: usize| s.chars().take(max).collect::<String>();
        ConnectForm {
            display_name: keep(&self.display_name, 100),
            provider: keep(&self.provider, 20),
            r2_account_id: keep(&self.r2_account_id, 64),
            region: keep(&self.region, 40),
            endpoint_url: keep(&self.endpoint_url, 300),
            bucket_name: keep(&self.bucket_name, 63),
            addressing: keep(&self.addressing, 10),
            access_key_id: keep(&self.access_key_id, 128),
            secret_access_key: String::new(),
        }
    }

    fn validate(&self, allow_private: bool) -> Result<NewConnection, FieldErrors> {
        let mut errors = FieldErrors::new();
        let mut check = |field: &'static str, result: Result<(), String>| {
            if let Err(e) = result {
                errors.entry(field).or_insert(e);
            }
        };
        check(
            "display_name",
            check_display_name(&self.display_name, "bucket"),
        );
        let provider = Provider::parse(self.provider.trim()).unwrap_or(Provider::Aws);
        if !self.provider.trim().is_empty() && Provider::parse(self.provider.trim()).is_none() {
            check("provider", Err("Choose a provider from the list.".into()));
        }
        let region = match self.region.trim() {
            "" => provider.default_region().to_owned(),
            r => r.to_owned(),
        };
        check("region", check_region(&region));
        let bucket_name = self.bucket_name.trim().to_owned();
        check("bucket_name", check_bucket_name(&bucket_name));
        let addressing = Addressing::parse(self.addressing.trim());
        check(
            "addressing",
            addressing
                .map(|_| ())
                .ok_or_else(|| "Choose an addressing style from the list.".into()),
        );
        let access_key_id = self.access_key_id.trim().to_owned();
        check("access_key_id", check_access_key_id(&access_key_id));
        let secret = self.secret_access_key.trim().to_owned();
        check("secret_access_key", check_secret_key(&secret));

        // a typed endpoint wins; otherwise the provider's preset
        let endpoint = match self.endpoint_url.trim() {
            "" => provider
                .endpoint(&region, &self.r2_account_id)
                .map_err(|e| {
                    let field = if provider == Provider::CloudflareR2 {
                        "r2_account_id"
                    } else {
                        "endpoint_url"
                    };
                    (field, e)
                }),
            typed => Ok(Some(typed.to_owned())),
        };
        let endpoint = match endpoint {
            Ok(Some(url)) => match check_endpoint_url(&url, allow_private) {
                Ok(url) => Some(url.as_str().trim_end_matches('/').to_owned()),
                Err(e) => {
                    check("endpoint_url", Err(e.to_string()));
                    None
                }
            },
            Ok(None) => None,
            Err((field, e)) => {
                check(field, Err(e));
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(NewConnection {
            display_name: self.display_name.trim().to_owned(),
            provider,
            connection: Connection {
                bucket: bucket_name,
                region,
                endpoint,
                path_style: false,
                access_key_id,
                secret_access_key: SecretString::from(secret),
            },
            addressing: addressing.unwrap_or(Addressing::Auto),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/connect.html")]
struct ConnectPage {
    csrf: String,
    workspace_id: uuid::Uuid,
    workspace_name: String,
    form: ConnectForm,
    providers: Vec<(&'static str, &'static str)>,
    errors: FieldErrors,
    problem: Option<String>,
    signed_in: bool,
}

impl ConnectPage {
    fn new(access: &WorkspaceAccess, csrf: String, form: ConnectForm) -> Self {
        ConnectPage {
            csrf,
            workspace_id: access.workspace().id,
            workspace_name: access.workspace().name.clone(),
            form,
            providers: Provider::ALL
                .iter()
                .map(|p| (p.as_str(), p.label()))
                .collect(),
            errors: FieldErrors::new(),
            problem: None,
            signed_in: true,
        }
    }
}

async fn show_connect_form(
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
) -> Result<ConnectPage> {
    access.can::<Owner>()?;
    let form = ConnectForm {
        provider: "aws".into(),
        region: "us-east-1".into(),
        addressing: "auto".into(),
        ..Default::default()
    };
    Ok(ConnectPage::new(&access, csrf, form))
}

async fn connect_bucket(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<ConnectForm>,
) -> Result<Response> {
    access.can::<Owner>()?;
    let mut page = ConnectPage::new(&access, csrf, form.redisplay());
    let new = match form.validate(state.settings.storage.allow_private_endpoints) {
        Ok(new) => new,
        Err(errors) => {
            page.errors = errors;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    match bucket_connections::connect(&state, access.id(), &access.me.user, &client, new).await? {
        Ok(bucket) => Ok(Redirect::to(&format!(
            "/w/{}/b/{}?done=connected",
            access.workspace().id,
            bucket
        ))
        .into_response()),
        Err(ConnectFailure::NameTaken) => {
            page.errors.insert(
                "display_name",
                "Another bucket in this workspace has this name already.".into(),
            );
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(ConnectFailure::Connection(problem)) => {
            page.problem = Some(problem.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/settings.html")]
struct SettingsPage {
    csrf: String,
    location: String,
    bucket: Bucket,
    workspace_name: String,
    display_name: String,
    access_key_id: String,
    errors: FieldErrors,
    problem: Option<String>,
    signed_in: bool,
}

async fn show_settings(access: BucketAccess, CsrfToken(csrf): CsrfToken) -> Result<SettingsPage> {
    access.can::<Owner>()?;
    Ok(SettingsPage {
        csrf,
        location: location(access.bucket()),
        workspace_name: access.workspace_name().to_owned(),
        display_name: access.bucket().display_name.clone(),
        access_key_id: String::new(),
        errors: FieldErrors::new(),
        problem: None,
        bucket: access.bucket().clone(),
        signed_in: true,
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    display_name: String,
    access_key_id: String,
    secret_access_key: String,
}

async fn save_settings(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<SettingsForm>,
) -> Result<Response> {
    access.can::<Owner>()?;
    let mut errors = FieldErrors::new();
    if let Err(e) = check_display_name(&form.display_name, "bucket") {
        errors.insert("display_name", e);
    }
    let (key_id, secret) = (form.access_key_id.trim(), form.secret_access_key.trim());
    let new_key = !key_id.is_empty() || !secret.is_empty();
    if new_key {
        if let Err(e) = check_access_key_id(key_id) {
            errors.insert("access_key_id", e);
        }
        if let Err(e) = check_secret_key(secret) {
            errors.insert("secret_access_key", e);
        }
    }
    let mut page = SettingsPage {
        csrf,
        location: location(access.bucket()),
        workspace_name: access.workspace_name().to_owned(),
        display_name: form.display_name.chars().take(100).collect(),
        access_key_id: key_id.chars().take(128).collect(),
        errors,
        problem: None,
        bucket: access.bucket().clone(),
        signed_in: true,
    };
    if !page.errors.is_empty() {
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let me = &access.me.user;
    if new_key {
        let replaced = bucket_connections::replace_key(
            &state,
            access.bucket(),
            me,
            &client,
            key_id.to_owned(),
            SecretString::from(secret.to_owned()),
        )
        .await?;
        if let Err(ConnectFailure::Connection(problem)) = replaced {
            page.problem = Some(problem.to_string());
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    }
    let renamed = form.display_name.trim() != access.bucket().display_name;
    if renamed
        && let Err(ConnectFailure::NameTaken) =
            bucket_connections::rename(&state, access.bucket(), me, &client, &form.display_name)
                .await?
    {
        page.errors.insert(
            "display_name",
            "Another bucket in this workspace has this name already.".into(),
        );
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let b = access.bucket();
    Ok(Redirect::to(&format!("/w/{}/b/{}?done=saved", b.workspace_id, b.id)).into_response())
}

async fn disconnect_bucket(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
) -> Result<Redirect> {
    access.can::<Owner>()?;
    bucket_connections::disconnect(&state, access.bucket(), &access.me.user, &client).await?;
    Ok(Redirect::to(&format!(
        "/w/{}?done=disconnected",
        access.bucket().workspace_id
    )))
}
