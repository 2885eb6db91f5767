//! Mails the creators of upload links who asked to hear when files arrive:
//! at most one mail per link every 10 minutes, listing what arrived since
//! the last one. A sweep runs when a file arrives and every 30 seconds; each
//! link due is claimed in the database first, so of several replicas only
//! one mails it.

use bucketdesk_core::links::{self, describe};
use bucketdesk_db::PgPool;
use bucketdesk_db::links::{Arrival, Link};
use bucketdesk_domain::object::{file_name, human_size};
use bucketdesk_mail::{FilesArrivedMail, Mailer};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// How often links are checked for arrivals that waited out the 10 minutes.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// The most files one mail names (the rest are counted).
const MAX_LISTED: usize = 50;

/// Wakes the sweep. The sweep stops when this is dropped (with the app).
pub struct ArrivalMails {
    wake: Arc<Notify>,
}

impl ArrivalMails {
    /// Starts the sweep; `link_base` makes the links to a link's own page.
    pub fn start(
        db: PgPool,
        mailer: Mailer,
        link_base: impl Fn(&str) -> String + Send + Sync + 'static,
    ) -> Self {
        let wake = Arc::new(Notify::new());
        let watched = Arc::downgrade(&wake);
        tokio::spawn(async move {
            while let Some(wake) = watched.upgrade() {
                let _ = tokio::time::timeout(SWEEP_EVERY, wake.notified()).await;
                drop(wake);
                match links::claim_arrival_mails(&db).await {
                    Ok(due) => {
                        for (link, arrived) in due {
                            send(&mailer, &link, &arrived, &link_base).await;
                        }
                    }
                    Err(error) => tracing::warn!(%error, "could not check for files that arrived"),
                }
            }
        });
        ArrivalMails { wake }
    }

    /// A file arrived through a link that may want a mail: sweep now.
    pub fn file_arrived(&self) {
        self.wake.notify_one();
    }
}

async fn send(
    mailer: &Mailer,
    link: &Link,
    arrived: &[Arrival],
    link_base: &impl Fn(&str) -> String,
) {
    let Some(to) = crate::links::creator_address(link) else {
        return;
    };
    let folder = match link.folder.as_deref() {
        Some("") | None => "the top of the bucket".to_owned(),
        Some(folder) => folder.to_owned(),
    };
    let files = arrived
        .iter()
        .take(MAX_LISTED)
        .map(|file| {
            (
                file_name(&file.key).to_owned(),
                human_size(file.size),
                crate::pages::utc_minutes(file.finished_at),
            )
        })
        .collect();
    let manage_link = link_base(&format!("/w/{}/links/{}", link.workspace_id, link.id));
    let mail = FilesArrivedMail {
        folder: &folder,
        bucket: &link.bucket_label,
        files,
        more: arrived.len().saturating_sub(MAX_LISTED),
        manage_link: &manage_link,
    }
    .render(&to);
    let result = match mail {
        Ok(mail) => mailer.send(mail).await.map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    if let Err(error) = result {
        tracing::error!(%error, link = %describe(link), "could not send the files-arrived mail");
    }
}
