//! An SMTP sink: a real SMTP server on a random port that keeps every
//! message it receives, so tests read mail the way a person would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

#[derive(Debug, Clone)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Clone)]
pub struct MailSink {
    pub addr: SocketAddr,
    mails: Arc<Mutex<Vec<ReceivedMail>>>,
    arrived: Arc<Notify>,
}

impl MailSink {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind SMTP sink");
        let sink = MailSink {
            addr: listener.local_addr().expect("sink address"),
            mails: Arc::default(),
            arrived: Arc::default(),
        };
        let accepting = sink.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = accepting.clone();
                tokio::spawn(async move {
                    let _ = sink.converse(stream).await;
                });
            }
        });
        sink
    }

    /// `smtp://127.0.0.1:port`, for `SMTP_URL`.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.addr)
    }

    pub fn all(&self) -> Vec<ReceivedMail> {
        self.mails.lock().expect("mail lock").clone()
    }

    pub fn count_to(&self, to: &str) -> usize {
        self.all()
            .iter()
            .filter(|m| m.to.iter().any(|t| t == to))
            .count()
    }

    /// Waits (up to 10 s) until `count` mails have reached `to`; returns the newest.
    pub async fn wait_for_nth(&self, to: &str, count: usize) -> ReceivedMail {
        self.wait_for_nth_where(to, count, |_| true).await
    }

    /// The same, counting only the mails `keep` accepts.
    pub async fn wait_for_nth_where(
        &self,
        to: &str,
        count: usize,
        keep: impl Fn(&ReceivedMail) -> bool,
    ) -> ReceivedMail {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let notified = self.arrived.notified();
            let mails: Vec<ReceivedMail> = self
                .all()
                .into_iter()
                .filter(|m| m.to.iter().any(|t| t == to) && keep(m))
                .collect();
            if mails.len() >= count {
                return mails.last().cloned().expect("at least one mail");
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                let seen: Vec<_> = self
                    .all()
                    .iter()
                    .map(|m| (m.to.clone(), m.subject.clone()))
                    .collect();
                panic!("no mail #{count} to {to} within 10 s; mails so far: {seen:?}");
            }
        }
    }

    /// The newest mail to `to`, waiting (up to 10 s) for a first one.
    pub async fn last_to(&self, to: &str) -> ReceivedMail {
        self.wait_for_nth(to, 1).await;
        self.all()
            .into_iter()
            .rev()
            .find(|m| m.to.iter().any(|t| t == to))
            .expect("a mail")
    }

    async fn converse(&self, stream: TcpStream) -> std::io::Result<()> {
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read);
        write
            .write_all(b"220 sink.test ESMTP bucketdesk test sink\r\n")
            .await?;
        let (mut from, mut to) = (String::new(), Vec::new());
        let mut line = String::new();
        loop {
            line.clear();
            if lines.read_line(&mut line).await? == 0 {
                return Ok(());
            }
            let command = line.trim_end().to_owned();
            let upper = command.to_ascii_uppercase();
            let reply: &[u8] = if upper.starts_with("EHLO") {
                b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n"
            } else if upper.starts_with("HELO") || upper.starts_with("NOOP") {
                b"250 ok\r\n"
            } else if upper.starts_with("RSET") {
                from.clear();
                to.clear();
                b"250 ok\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                from = address(&command);
                b"250 ok\r\n"
            } else if upper.starts_with("RCPT TO:") {
                to.push(address(&command));
                b"250 ok\r\n"
            } else if upper == "DATA" {
                write.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
                let mut data = Vec::new();
                loop {
                    line.clear();
                    if lines.read_line(&mut line).await? == 0 {
                        return Ok(());
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    let unstuffed = line.strip_prefix('.').unwrap_or(&line);
                    data.extend_from_slice(unstuffed.as_bytes());
                }
                self.keep(&from, std::mem::take(&mut to), &data);
                b"250 queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            } else {
                b"502 not implemented\r\n"
            };
            write.write_all(reply).await?;
        }
    }

    fn keep(&self, from: &str, to: Vec<String>, data: &[u8]) {
        let parsed = mailparse::parse_mail(data).expect("a parseable mail");
        let subject =
            mailparse::MailHeaderMap::get_first_value(parsed.headers.as_slice(), "Subject")
                .unwrap_or_default();
        let part = |mime: &str| {
            std::iter::once(&parsed)
                .chain(parsed.subparts.iter())
                .find(|p| p.ctype.mimetype == mime)
                .and_then(|p| p.get_body().ok())
                .unwrap_or_default()
        };
        let mail = ReceivedMail {
            from: from.to_owned(),
            to,
            subject,
            text: part("text/plain"),
            html: part("text/html"),
        };
        self.mails.lock().expect("mail lock").push(mail);
        self.arrived.notify_waiters();
    }
}

fn address(command: &str) -> String {
    command
        .split_once(':')
        .map(|(_, a)| {
            a.trim()
                .trim_start_matches('<')
                .split('>')
                .next()
                .unwrap_or("")
                .to_lowercase()
        })
        .unwrap_or_default()
}
