//! The messages bucketdesk sends, each rendered from its own template folder.

use askama::Template;
use bucketdesk_domain::Email;

/// A rendered message, ready for any transport.
#[derive(Clone)]
pub struct OutgoingMail {
    pub to: Email,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl std::fmt::Debug for OutgoingMail {
    // bodies hold codes and links: never in a Debug string, never in a log
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

#[derive(Template)]
#[template(path = "email/login_code/body.txt")]
struct LoginCodeText<'a> {
    m: &'a LoginCodeMail<'a>,
}

#[derive(Template)]
#[template(path = "email/login_code/body.html")]
struct LoginCodeHtml<'a> {
    m: &'a LoginCodeMail<'a>,
}

/// The one-time sign-in code.
pub struct LoginCodeMail<'a> {
    pub code: &'a str,
    pub minutes: u64,
    /// Where to enter it, e.g. `https://files.example.com/login/code`.
    pub sign_in_url: &'a str,
    /// This mail's one-time sign-in link: with the code, it signs in from
    /// any browser, e.g. `https://files.example.com/login/email/…`.
    pub link: &'a str,
    /// When it stops working, e.g. `14:05 UTC`.
    pub expires_at: &'a str,
}

impl LoginCodeMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        Ok(OutgoingMail {
            to: to.clone(),
            subject: "Your bucketdesk sign-in code".to_owned(),
            text: LoginCodeText { m: self }.render()?,
            html: LoginCodeHtml { m: self }.render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "email/invite/body.txt")]
struct InviteText<'a> {
    m: &'a InviteMail<'a>,
}

#[derive(Template)]
#[template(path = "email/invite/body.html")]
struct InviteHtml<'a> {
    m: &'a InviteMail<'a>,
}

/// An invitation to a workspace, with the buckets and roles it grants.
pub struct InviteMail<'a> {
    pub inviter: &'a str,
    pub workspace: &'a str,
    pub email: &'a str,
    /// (bucket name, role name)
    pub buckets: &'a [(String, String)],
    pub link: &'a str,
    pub expires_at: &'a str,
}

impl InviteMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        Ok(OutgoingMail {
            to: to.clone(),
            subject: format!(
                "{} invited you to {} on bucketdesk",
                self.inviter, self.workspace
            ),
            text: InviteText { m: self }.render()?,
            html: InviteHtml { m: self }.render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "email/link_downloaded/body.txt")]
struct LinkDownloadedText<'a> {
    m: &'a LinkDownloadedMail<'a>,
}

#[derive(Template)]
#[template(path = "email/link_downloaded/body.html")]
struct LinkDownloadedHtml<'a> {
    m: &'a LinkDownloadedMail<'a>,
}

/// Tells a link's creator that it was downloaded for the first time.
pub struct LinkDownloadedMail<'a> {
    /// The file's name, "the folder …" or "3 files".
    pub what: &'a str,
    pub bucket: &'a str,
    pub at: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    /// The link's page in bucketdesk.
    pub manage_link: &'a str,
}

impl LinkDownloadedMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        Ok(OutgoingMail {
            to: to.clone(),
            subject: format!("Your link to {} was downloaded", self.what),
            text: LinkDownloadedText { m: self }.render()?,
            html: LinkDownloadedHtml { m: self }.render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "email/files_arrived/body.txt")]
struct FilesArrivedText<'a> {
    m: &'a FilesArrivedMail<'a>,
}

#[derive(Template)]
#[template(path = "email/files_arrived/body.html")]
struct FilesArrivedHtml<'a> {
    m: &'a FilesArrivedMail<'a>,
}

/// Tells an upload link's creator which files arrived (they asked for it).
pub struct FilesArrivedMail<'a> {
    /// The folder the link fills, e.g. `inbox/` (or "the top of the bucket").
    pub folder: &'a str,
    pub bucket: &'a str,
    /// Each file's name, size and arrival time, oldest first.
    pub files: Vec<(String, String, String)>,
    /// Files that arrived beyond those listed.
    pub more: usize,
    pub manage_link: &'a str,
}

impl FilesArrivedMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        let count = self.files.len() + self.more;
        let subject = match count {
            1 => format!("A file arrived in {}", self.folder),
            n => format!("{n} files arrived in {}", self.folder),
        };
        Ok(OutgoingMail {
            to: to.clone(),
            subject,
            text: FilesArrivedText { m: self }.render()?,
            html: FilesArrivedHtml { m: self }.render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "email/recipient_code/body.txt")]
struct RecipientCodeText<'a> {
    m: &'a RecipientCodeMail<'a>,
}

#[derive(Template)]
#[template(path = "email/recipient_code/body.html")]
struct RecipientCodeHtml<'a> {
    m: &'a RecipientCodeMail<'a>,
}

/// A code a link's visitor types to prove they hold one of the addresses
/// the link was shared with (no account needed).
pub struct RecipientCodeMail<'a> {
    pub code: &'a str,
    pub minutes: u64,
    pub expires_at: &'a str,
}

impl RecipientCodeMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        Ok(OutgoingMail {
            to: to.clone(),
            subject: "Your code to open files shared with you".to_owned(),
            text: RecipientCodeText { m: self }.render()?,
            html: RecipientCodeHtml { m: self }.render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "email/confirm_code/body.txt")]
struct ConfirmCodeText<'a> {
    m: &'a ConfirmCodeMail<'a>,
}

#[derive(Template)]
#[template(path = "email/confirm_code/body.html")]
struct ConfirmCodeHtml<'a> {
    m: &'a ConfirmCodeMail<'a>,
}

/// A code a signed-in person types to prove it is them before changing how
/// they sign in (S18). No sign-in link: it confirms, it does not sign in.
pub struct ConfirmCodeMail<'a> {
    pub code: &'a str,
    /// The change, e.g. "linking GitHub to your account".
    pub what: &'a str,
    pub minutes: u64,
    pub expires_at: &'a str,
}

impl ConfirmCodeMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        Ok(OutgoingMail {
            to: to.clone(),
            subject: "Your bucketdesk confirmation code".to_owned(),
            text: ConfirmCodeText { m: self }.render()?,
            html: ConfirmCodeHtml { m: self }.render()?,
        })
    }
}

#[derive(Template)]
#[template(path = "email/account_changed/body.txt")]
struct AccountChangedText<'a> {
    m: &'a AccountChangedMail<'a>,
}

#[derive(Template)]
#[template(path = "email/account_changed/body.html")]
struct AccountChangedHtml<'a> {
    m: &'a AccountChangedMail<'a>,
}

/// Tells the owner that how they sign in changed (S18).
pub struct AccountChangedMail<'a> {
    /// What happened, e.g. "GitHub account bob-gh was linked".
    pub what: &'a str,
    pub email: &'a str,
    pub at: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
    pub account_link: &'a str,
}

impl AccountChangedMail<'_> {
    pub fn render(&self, to: &Email) -> Result<OutgoingMail, askama::Error> {
        Ok(OutgoingMail {
            to: to.clone(),
            subject: format!("{} on your bucketdesk account", self.what),
            text: AccountChangedText { m: self }.render()?,
            html: AccountChangedHtml { m: self }.render()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invite_mail_names_the_workspace_buckets_roles_and_link_and_escapes_html() {
        let to = Email::parse("bob@example.com").unwrap();
        let buckets = [
            ("Photos <b>".to_owned(), "Viewer".to_owned()),
            ("Reports".to_owned(), "Editor".to_owned()),
        ];
        let mail = InviteMail {
            inviter: "alice@example.com",
            workspace: "Team",
            email: "bob@example.com",
            buckets: &buckets,
            link: "https://x.example/invites/abc",
            expires_at: "2026-11-29 10:00 UTC",
        }
        .render(&to)
        .unwrap();
        for body in [&mail.text, &mail.html] {
            assert!(
                body.contains("Team")
                    && body.contains("Reports: Editor")
                    && body.contains("https://x.example/invites/abc")
            );
        }
        assert!(
            mail.html.contains("Photos &#60;b&#62;: Viewer"),
            "{}",
            mail.html
        );
    }

    #[test]
    fn login_code_mail_has_the_code_and_expiry_in_both_bodies() {
        let to = Email::parse("a@example.com").unwrap();
        let mail = LoginCodeMail {
            code: "123456",
            minutes: 10,
            sign_in_url: "https://x.example/login/code",
            link: "https://x.example/login/email/tok",
            expires_at: "14:05 UTC",
        }
        .render(&to)
        .unwrap();
        for body in [&mail.text, &mail.html] {
            assert!(body.contains("123456"));
            assert!(body.contains("https://x.example/login/email/tok"));
            assert!(
                body.find("123456") < body.find("https://x.example/login/email/tok"),
                "the code comes first"
            );
            assert!(body.contains("10 minutes"));
            assert!(body.contains("14:05 UTC"));
        }
        assert!(mail.html.contains("https://x.example/login/code"));
        assert!(!format!("{mail:?}").contains("123456"));
        assert!(
            !mail.subject.contains("123456"),
            "relays log subjects: the code stays in the body"
        );
    }
}
