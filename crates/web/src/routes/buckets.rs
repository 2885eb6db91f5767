//! Connected buckets: the connect form, a bucket's page, its settings
//! (rename, replace the key pair, direct uploads) and disconnecting it. Owners only, except
//! the bucket's page, which anyone with a role on the bucket sees.

use crate::extract::{BucketAccess, ClientInfo, CsrfToken, Form, WorkspaceAccess};
use crate::routes::workspaces::location;
use crate::{AppState, Result};
use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use bucketdesk_core::access::Owner;
use bucketdesk_core::buckets::{self as core_buckets, BucketSettings, ConnectRequest, RoleHelp};
use bucketdesk_core::direct_uploads::{self, CorsCheck};
use bucketdesk_core::{CoreError, FieldError};
use bucketdesk_db::buckets::Bucket;
use bucketdesk_storage::Provider;
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
            "/w/{workspace}/b/{bucket}/settings/direct-uploads",
            get(show_direct_uploads).post(set_direct_uploads),
        )
        .route(
            "/w/{workspace}/b/{bucket}/settings/direct-uploads/cors",
            post(apply_cors_rule),
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
    /// `role` to connect with `role_arn`; anything else: with the key.
    signing: String,
    role_arn: String,
    public_endpoint_url: String,
}

impl ConnectForm {
    fn with_role(&self) -> bool {
        self.signing == "role"
    }

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
            signing: keep(&self.signing, 10),
            role_arn: keep(&self.role_arn, 2048),
            public_endpoint_url: keep(&self.public_endpoint_url, 300),
        }
    }

    /// The form as the core's request.
    fn request(&self) -> ConnectRequest {
        ConnectRequest {
            display_name: self.display_name.clone(),
            provider: self.provider.clone(),
            r2_account_id: self.r2_account_id.clone(),
            region: self.region.clone(),
            endpoint_url: self.endpoint_url.clone(),
            bucket_name: self.bucket_name.clone(),
            addressing: self.addressing.clone(),
            access_key_id: self.access_key_id.clone(),
            secret_access_key: self.secret_access_key.clone(),
            role_arn: if self.with_role() {
                self.role_arn.clone()
            } else {
                String::new()
            },
            public_endpoint_url: self.public_endpoint_url.clone(),
        }
    }
}

/// The core's field errors, by field, for the form.
fn by_field(problems: Vec<FieldError>) -> FieldErrors {
    let mut errors = FieldErrors::new();
    for problem in problems {
        errors.entry(problem.field).or_insert(problem.message);
    }
    errors
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
    /// The role option, when bucketdesk has an AWS identity of its own.
    role: Option<RoleHelp>,
}

impl ConnectPage {
    async fn new(
        state: &AppState,
        access: &WorkspaceAccess,
        csrf: String,
        form: ConnectForm,
    ) -> Result<Self> {
        let role =
            core_buckets::role_help(&state.db, &state.s3_clients, &access.can::<Owner>()?).await?;
        Ok(ConnectPage {
            role,
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
        })
    }
}

async fn show_connect_form(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    CsrfToken(csrf): CsrfToken,
) -> Result<ConnectPage> {
    access.can::<Owner>()?;
    let form = ConnectForm {
        provider: "aws".into(),
        region: "us-east-1".into(),
        addressing: "auto".into(),
        signing: "key".into(),
        ..Default::default()
    };
    ConnectPage::new(&state, &access, csrf, form).await
}

async fn connect_bucket(
    State(state): State<AppState>,
    access: WorkspaceAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<ConnectForm>,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let mut page = ConnectPage::new(&state, &access, csrf, form.redisplay()).await?;
    let new = match form
        .request()
        .check(state.settings.storage.allow_private_endpoints)
    {
        Ok(new) => new,
        Err(problems) => {
            page.errors = by_field(problems);
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
        }
    };
    let connected = core_buckets::connect(
        &state.db,
        &state.s3_clients,
        &can,
        &access.me.actor(),
        &client.origin(),
        new,
    )
    .await;
    match connected {
        Ok(bucket) => Ok(Redirect::to(&format!(
            "/w/{}/b/{}?done=connected",
            access.workspace().id,
            bucket
        ))
        .into_response()),
        Err(CoreError::Invalid(problems)) => {
            page.errors = by_field(problems);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::Storage(problem)) => {
            page.problem = Some(problem.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
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
    public_endpoint_url: String,
    proxy_downloads: bool,
    errors: FieldErrors,
    problem: Option<String>,
}

async fn show_settings(access: BucketAccess, CsrfToken(csrf): CsrfToken) -> Result<SettingsPage> {
    access.can::<Owner>()?;
    Ok(SettingsPage {
        csrf,
        location: location(access.bucket()),
        workspace_name: access.workspace_name().to_owned(),
        display_name: access.bucket().display_name.clone(),
        access_key_id: String::new(),
        public_endpoint_url: access
            .bucket()
            .public_endpoint_url
            .clone()
            .unwrap_or_default(),
        proxy_downloads: access.bucket().proxy_downloads,
        errors: FieldErrors::new(),
        problem: None,
        bucket: access.bucket().clone(),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SettingsForm {
    display_name: String,
    access_key_id: String,
    secret_access_key: String,
    public_endpoint_url: String,
    /// `on` when ticked.
    proxy_downloads: String,
}

async fn save_settings(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<SettingsForm>,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let (key_id, secret) = (form.access_key_id.trim(), form.secret_access_key.trim());
    let new_key = (!key_id.is_empty() || !secret.is_empty())
        .then(|| (key_id.to_owned(), SecretString::from(secret.to_owned())));
    let settings = BucketSettings {
        display_name: form.display_name.clone(),
        new_key,
        public_endpoint: Some(form.public_endpoint_url.clone()),
        proxy_downloads: Some(form.proxy_downloads == "on"),
    };
    let saved = core_buckets::save_settings(
        &state.db,
        &state.s3_clients,
        &can,
        &access.me.actor(),
        &client.origin(),
        settings,
    )
    .await;
    let mut page = SettingsPage {
        csrf,
        location: location(access.bucket()),
        workspace_name: access.workspace_name().to_owned(),
        display_name: form.display_name.chars().take(100).collect(),
        access_key_id: key_id.chars().take(128).collect(),
        public_endpoint_url: form.public_endpoint_url.chars().take(300).collect(),
        proxy_downloads: form.proxy_downloads == "on",
        errors: FieldErrors::new(),
        problem: None,
        bucket: access.bucket().clone(),
    };
    match saved {
        Ok(()) => {
            let b = access.bucket();
            Ok(
                Redirect::to(&format!("/w/{}/b/{}?done=saved", b.workspace_id, b.id))
                    .into_response(),
            )
        }
        Err(CoreError::Invalid(problems)) => {
            page.errors = by_field(problems);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(CoreError::Storage(problem)) => {
            page.problem = Some(problem.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

async fn disconnect_bucket(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
) -> Result<Redirect> {
    let can = access.can::<Owner>()?;
    core_buckets::disconnect(
        &state.db,
        &state.s3_clients,
        &can,
        &access.me.actor(),
        &client.origin(),
    )
    .await?;
    Ok(Redirect::to(&format!(
        "/w/{}?done=disconnected",
        access.bucket().workspace_id
    )))
}

#[derive(Template, WebTemplate)]
#[template(path = "buckets/direct_uploads.html")]
struct DirectUploadsPage {
    csrf: String,
    bucket: Bucket,
    workspace_name: String,
    origin: String,
    /// What the bucket's CORS rules allow; none when they could not be read.
    check: Option<CorsCheck>,
    problem_title: &'static str,
    problem: Option<String>,
    notice: Option<&'static str>,
}

impl DirectUploadsPage {
    async fn of(state: &AppState, access: &BucketAccess, csrf: String) -> Result<Self> {
        let can = access.can::<Owner>()?;
        let origin = state.settings.origin();
        let (check, problem) = match direct_uploads::check(&state.s3_clients, &can, &origin).await {
            Ok(check) => (Some(check), None),
            Err(CoreError::Storage(problem)) => (None, Some(problem.to_string())),
            Err(other) => return Err(other.into()),
        };
        Ok(DirectUploadsPage {
            csrf,
            bucket: access.bucket().clone(),
            workspace_name: access.workspace_name().to_owned(),
            origin,
            check,
            problem_title: "The bucket's CORS rules could not be read.",
            problem,
            notice: None,
        })
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DoneQuery {
    done: String,
}

/// `GET …/settings/direct-uploads`: the bucket's CORS rules, checked.
async fn show_direct_uploads(
    State(state): State<AppState>,
    access: BucketAccess,
    CsrfToken(csrf): CsrfToken,
    Query(query): Query<DoneQuery>,
) -> Result<DirectUploadsPage> {
    let mut page = DirectUploadsPage::of(&state, &access, csrf).await?;
    page.notice = match query.done.as_str() {
        "rules" => Some("The rules were saved to the bucket."),
        "on" => Some("Direct uploads are on."),
        "off" => Some("Direct uploads are off: uploads go through bucketdesk."),
        _ => None,
    };
    Ok(page)
}

fn direct_uploads_page(bucket: &Bucket, done: &str) -> Redirect {
    Redirect::to(&format!(
        "/w/{}/b/{}/settings/direct-uploads?done={done}",
        bucket.workspace_id, bucket.id
    ))
}

/// `POST …/settings/direct-uploads/cors`: adds the rule bucketdesk needs.
async fn apply_cors_rule(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let applied = direct_uploads::apply_rule(
        &state.db,
        &state.s3_clients,
        &can,
        &access.me.actor(),
        &client.origin(),
        &state.settings.origin(),
    )
    .await;
    match applied {
        Ok(_) => Ok(direct_uploads_page(access.bucket(), "rules").into_response()),
        Err(CoreError::Storage(problem)) => {
            let mut page = DirectUploadsPage::of(&state, &access, csrf).await?;
            page.problem_title = "The rules were not saved.";
            page.problem = Some(problem.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DirectUploadsForm {
    /// `on` or `off`.
    direct_uploads: String,
}

/// `POST …/settings/direct-uploads`: turns direct uploads on or off.
async fn set_direct_uploads(
    State(state): State<AppState>,
    access: BucketAccess,
    client: ClientInfo,
    CsrfToken(csrf): CsrfToken,
    Form(form): Form<DirectUploadsForm>,
) -> Result<Response> {
    let can = access.can::<Owner>()?;
    let on = form.direct_uploads == "on";
    let set = direct_uploads::set(
        &state.db,
        &state.s3_clients,
        &can,
        &access.me.actor(),
        &client.origin(),
        &state.settings.origin(),
        on,
    )
    .await;
    match set {
        Ok(()) => {
            Ok(direct_uploads_page(access.bucket(), if on { "on" } else { "off" }).into_response())
        }
        Err(refused @ (CoreError::Invalid(_) | CoreError::Storage(_))) => {
            let mut page = DirectUploadsPage::of(&state, &access, csrf).await?;
            page.problem_title = "Direct uploads were not turned on.";
            page.problem = Some(match refused {
                CoreError::Invalid(problems) => problems
                    .into_iter()
                    .map(|p| p.message)
                    .collect::<Vec<_>>()
                    .join(" "),
                other => other.to_string(),
            });
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(other) => Err(other.into()),
    }
}
