//! Where mail goes: an SMTP server, or the console.

use crate::OutgoingMail;
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP conversation may take before it is given up.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        from: Mailbox,
    },
    /// Development only: each message is printed to standard output.
    Console { from: Mailbox },
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp { from, .. } => write!(f, "Mailer::Smtp(from {from})"),
            Mailer::Console { from } => write!(f, "Mailer::Console(from {from})"),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailConfigError {
    #[error("is not a URL like smtp://host:587 or smtps://user:pass@host")]
    NotAUrl,
    #[error("must start with smtp:// or smtps://, not {0}://")]
    Scheme(String),
    #[error("has no host name")]
    NoHost,
    #[error("cannot set up TLS for {0}")]
    Tls(String),
    #[error("is not an address like \"bucketdesk <files@example.com>\"")]
    From,
}

/// Where and how to reach the SMTP server.
struct SmtpTarget {
    host: String,
    port: u16,
    tls: Tls,
    credentials: Option<Credentials>,
}

impl SmtpTarget {
    /// - `smtp://host:port`: plain SMTP, upgraded with STARTTLS when the server offers it;
    /// - `smtp://user:pass@host:587`: STARTTLS required before the password is sent;
    /// - `smtps://[user:pass@]host[:465]`: TLS from the first byte.
    ///
    /// User and password are percent-decoded (`p%40ss` is `p@ss`).
    fn parse(url: &str) -> Result<Self, MailConfigError> {
        let url = url::Url::parse(url).map_err(|_| MailConfigError::NotAUrl)?;
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(MailConfigError::NoHost)?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let tls_params =
            || TlsParameters::new(host.clone()).map_err(|_| MailConfigError::Tls(host.clone()));
        let has_credentials = !url.username().is_empty();
        let (tls, default_port) = match url.scheme() {
            "smtps" => (Tls::Wrapper(tls_params()?), 465),
            "smtp" if has_credentials => (Tls::Required(tls_params()?), 587),
            "smtp" => (Tls::Opportunistic(tls_params()?), 25),
            other => return Err(MailConfigError::Scheme(other.to_owned())),
        };
        let decode = |s: &str| percent_decode(s);
        let credentials = has_credentials.then(|| {
            Credentials::new(decode(url.username()), decode(url.password().unwrap_or("")))
        });
        Ok(SmtpTarget {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
            credentials,
        })
    }
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("the SMTP server refused or could not be reached: {0}")]
    Smtp(#[from] lettre::transport::smtp::Error),
}

impl Mailer {
    /// Parses `MAIL_FROM`.
    pub fn parse_from(from: &str) -> Result<Mailbox, MailConfigError> {
        from.parse().map_err(|_| MailConfigError::From)
    }

    /// Checks `SMTP_URL` without connecting or building a transport.
    pub fn check_smtp_url(url: &str) -> Result<(), MailConfigError> {
        SmtpTarget::parse(url).map(|_| ())
    }

    /// A mailer for `SMTP_URL` (see [`SmtpTarget::parse`]). Must be called
    /// inside a Tokio runtime: the connection pool lives there.
    pub fn smtp(url: &str, from: Mailbox) -> Result<Self, MailConfigError> {
        let target = SmtpTarget::parse(url)?;
        let mut builder =
            AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(target.host.as_str())
                .port(target.port)
                .tls(target.tls)
                .timeout(Some(SMTP_TIMEOUT));
        if let Some(credentials) = target.credentials {
            builder = builder.credentials(credentials);
        }
        Ok(Mailer::Smtp {
            transport: builder.build(),
            from,
        })
    }

    pub fn console(from: Mailbox) -> Self {
        Mailer::Console { from }
    }

    pub fn is_console(&self) -> bool {
        matches!(self, Mailer::Console { .. })
    }

    pub async fn send(&self, mail: OutgoingMail) -> Result<(), MailError> {
        match self {
            Mailer::Smtp { transport, from } => {
                let to: Mailbox = mail
                    .to
                    .as_str()
                    .parse()
                    .map_err(|e| MailError::Build(format!("{e}")))?;
                let message = Message::builder()
                    .from(from.clone())
                    .to(to)
                    .subject(mail.subject)
                    .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
                    .map_err(|e| MailError::Build(e.to_string()))?;
                transport.send(message).await?;
                Ok(())
            }
            Mailer::Console { from } => {
                println!(
                    "\n----- mail (SMTP_URL is not set, so it is shown here) -----\nFrom: {from}\nTo: {}\nSubject: {}\n\n{}\n-----------------------------------------------------------\n",
                    mail.to, mail.subject, mail.text
                );
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        Mailer::parse_from("bucketdesk <files@example.com>").unwrap()
    }

    #[tokio::test]
    async fn accepts_the_three_documented_url_forms() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://user:p%40ss@mail.example.com:587",
            "smtps://mail.example.com",
        ] {
            assert!(Mailer::smtp(url, from()).is_ok(), "{url}");
        }
    }

    #[test]
    fn credentials_in_the_url_are_percent_decoded() {
        assert_eq!(percent_decode("p%40ss+word"), "p@ss+word");
    }

    #[test]
    fn refuses_other_schemes_and_garbage() {
        assert_eq!(
            Mailer::smtp("http://x", from()).unwrap_err(),
            MailConfigError::Scheme("http".into())
        );
        assert_eq!(
            Mailer::smtp("not a url", from()).unwrap_err(),
            MailConfigError::NotAUrl
        );
    }

    #[test]
    fn parses_mail_from() {
        assert!(Mailer::parse_from("files@example.com").is_ok());
        assert_eq!(
            Mailer::parse_from("not an address").unwrap_err(),
            MailConfigError::From
        );
    }
}
