//! The invitation mail: the core makes the invitation and its link's token
//! (`bucketdesk_core::invitations`); the face mails it, off the request path.

use crate::{AppState, Result};
use bucketdesk_core::invitations::{self, LIFETIME};
use bucketdesk_domain::Email;
use bucketdesk_mail::InviteMail;
use uuid::Uuid;

/// Mails the invitation `invite` of `email` to `workspace_name`, from
/// `inviter`, with the link of `token`.
pub async fn send(
    state: &AppState,
    invite: Uuid,
    workspace_name: &str,
    inviter: &str,
    email: &Email,
    token: &str,
) -> Result<()> {
    let buckets: Vec<(String, String)> = invitations::buckets_of(&state.db, invite)
        .await?
        .into_iter()
        .map(|b| (b.place(), b.role().label().to_owned()))
        .collect();
    let expires = crate::pages::utc_minutes(time::OffsetDateTime::now_utc() + LIFETIME);
    let mail = InviteMail {
        inviter,
        workspace: workspace_name,
        email: email.as_str(),
        buckets: &buckets,
        link: &state.settings.link(&format!("/invites/{token}")),
        expires_at: &expires,
    }
    .render(email)?;
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(mail).await {
            tracing::error!(%error, "could not send an invitation mail");
        }
    });
    Ok(())
}
