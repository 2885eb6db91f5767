//! Outgoing mail. One [`Mailer`] per process: SMTP (from `SMTP_URL`) in
//! production, the console for development. Each message has a subject, a
//! text body and an HTML body, rendered from `templates/email/<message>/`.

mod messages;
mod transport;

pub use lettre::message::Mailbox;
pub use messages::{
    AccountChangedMail, ConfirmCodeMail, FilesArrivedMail, InviteMail, LinkDownloadedMail,
    LoginCodeMail, OutgoingMail, RecipientCodeMail,
};
pub use transport::{MailConfigError, MailError, Mailer};
