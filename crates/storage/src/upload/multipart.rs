//! A multipart upload under way: its parts sent, completed or aborted, and journaled.

use super::*;

/// A multipart upload under way, aborted unless completed.
pub(super) struct Multipart<'a> {
    pub(super) target: &'a Target<'a>,
    pub(super) upload_id: String,
    pub(super) journal: &'a dyn UploadJournal,
    pub(super) running: VecDeque<PartTask>,
    pub(super) done: Vec<CompletedPart>,
}

impl<'a> Multipart<'a> {
    pub(super) async fn start(
        target: &'a Target<'a>,
        journal: &'a dyn UploadJournal,
    ) -> Result<Multipart<'a>, UploadError> {
        let mut create = target
            .client
            .create_multipart_upload()
            .bucket(target.bucket)
            .key(target.key);
        if let Some(ct) = target.content_type {
            create = create.content_type(ct);
        }
        let created = create
            .send()
            .await
            .map_err(|e| classify(e, target.bucket, target.options))?;
        let upload_id = created.upload_id().unwrap_or_default().to_owned();
        journal.started(target.key, &upload_id).await;
        Ok(Multipart {
            target,
            upload_id,
            journal,
            running: VecDeque::new(),
            done: Vec::new(),
        })
    }

    /// Sends part `number` with this body, in the background.
    pub(super) fn send(
        &mut self,
        number: i32,
        length: u64,
        body: ByteStream,
        hold: Option<OwnedSemaphorePermit>,
    ) {
        let request = self
            .target
            .client
            .upload_part()
            .bucket(self.target.bucket)
            .key(self.target.key)
            .upload_id(&self.upload_id)
            .part_number(number)
            .content_length(length as i64)
            .body(body);
        let (bucket, options) = (self.target.bucket.to_owned(), *self.target.options);
        self.running.push_back(tokio::spawn(async move {
            let sent = request.send().await;
            drop(hold); // the part's memory is free once it is sent
            let output = sent.map_err(|e| UploadError::S3(classify(e, &bucket, &options)))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .e_tag(output.e_tag().unwrap_or_default())
                .build())
        }));
    }

    /// Waits for parts until at most `left` are still running.
    pub(super) async fn settle(&mut self, left: usize) -> Result<(), UploadError> {
        while self.running.len() > left {
            let Some(task) = self.running.pop_front() else {
                break;
            };
            let part = task
                .await
                .map_err(|e| UploadError::CutOff(e.to_string()))??;
            self.done.push(part);
        }
        Ok(())
    }

    pub(super) async fn complete(mut self) -> Result<(), UploadError> {
        self.settle(0).await?;
        let mut parts = std::mem::take(&mut self.done);
        parts.sort_by_key(|p| p.part_number());
        let target = self.target;
        crate::objects::complete(
            target.client,
            target.bucket,
            target.key,
            &self.upload_id,
            parts,
            target.options,
        )
        .await?;
        self.journal.ended(&self.upload_id).await;
        Ok(())
    }

    /// Gives up: lets parts still in flight land or fail first, so none
    /// arrives after the abort, then aborts the upload.
    pub(super) async fn abort(mut self) {
        while let Some(task) = self.running.pop_front() {
            let _ = task.await;
        }
        if abort(
            self.target.client,
            self.target.bucket,
            self.target.key,
            &self.upload_id,
        )
        .await
        {
            self.journal.ended(&self.upload_id).await;
        }
    }
}

/// Aborts a multipart upload; false when S3 could not be told (it stays in
/// the journal, to be aborted later). One S3 no longer knows (completed,
/// or removed by a lifecycle rule) counts as aborted.
pub async fn abort(client: &Client, bucket: &str, key: &str, upload_id: &str) -> bool {
    match client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
    {
        Ok(_) => true,
        Err(error)
            if error
                .as_service_error()
                .is_some_and(|e| e.is_no_such_upload()) =>
        {
            true
        }
        Err(error) => {
            tracing::warn!(error = %aws_smithy_types::error::display::DisplayErrorContext(&error), "could not abort a multipart upload");
            false
        }
    }
}
