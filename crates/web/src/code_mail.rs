//! Mails the sign-in and confirmation codes the core hands out
//! (`bucketdesk_core::sign_in`), in the background: the answer must neither
//! wait for the mail nor take longer for an address that gets one (S3).

use crate::AppState;
use bucketdesk_core::sign_in::{CodeMail, Purpose};
use bucketdesk_domain::login::CODE_LIFETIME;
use bucketdesk_mail::{ConfirmCodeMail, LoginCodeMail, RecipientCodeMail};

pub fn send(state: &AppState, mail: CodeMail) {
    let mailer = state.mailer.clone();
    let sign_in_url = state.settings.link("/login/code");
    let link = mail
        .link_token
        .as_ref()
        .map(|token| state.settings.link(&format!("/login/email/{token}")));
    tokio::spawn(async move {
        let expires = mail
            .expires_at
            .format(time::macros::format_description!("[hour]:[minute] UTC"))
            .unwrap_or_default();
        let minutes = CODE_LIFETIME.as_secs() / 60;
        let rendered = match mail.purpose {
            Purpose::Confirm { what } => ConfirmCodeMail {
                code: mail.code.expose(),
                what,
                minutes,
                expires_at: &expires,
            }
            .render(&mail.to),
            Purpose::Recipient { .. } => RecipientCodeMail {
                code: mail.code.expose(),
                minutes,
                expires_at: &expires,
            }
            .render(&mail.to),
            Purpose::SignIn => LoginCodeMail {
                code: mail.code.expose(),
                minutes,
                sign_in_url: &sign_in_url,
                link: link.as_deref().unwrap_or(&sign_in_url),
                expires_at: &expires,
            }
            .render(&mail.to),
        };
        let result = match rendered {
            Ok(rendered) => mailer.send(rendered).await.map_err(|e| e.to_string()),
            Err(e) => Err(e.to_string()),
        };
        if let Err(error) = result {
            tracing::error!(%error, "could not send a code mail");
        }
    });
}
