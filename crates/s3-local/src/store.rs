//! The S3 operations served: s3s-fs's, plus what S3 has and s3s-fs lacks
//! that bucketdesk relies on: a bucket's CORS rules (`GetBucketCors`,
//! `PutBucketCors`, `DeleteBucketCors`) and each part's ETag in
//! `ListParts`.

use crate::cors::{BucketCors, CorsRule};
use md5::{Digest, Md5};
use s3s::dto::*;
use s3s::{S3, S3Request, S3Response, S3Result, s3_error};
use s3s_fs::FileSystem;
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

pub struct Store {
    pub fs: FileSystem,
    pub root: PathBuf,
    pub cors: Arc<BucketCors>,
    /// Each stored part's ETag, by its file's name, as `UploadPart` answered it.
    pub part_etags: Mutex<HashMap<String, String>>,
}

/// The file s3s-fs keeps part `number` of upload `upload_id` in, under the root.
fn part_file(upload_id: &str, number: i32) -> String {
    format!(".upload_id-{upload_id}.part-{number}")
}

impl Store {
    fn bucket_exists(&self, bucket: &str) -> S3Result<()> {
        if self.root.join(bucket).is_dir() {
            Ok(())
        } else {
            Err(s3_error!(NoSuchBucket))
        }
    }
}

/// Hands each named operation to s3s-fs unchanged (written the way
/// `async_trait` expands an `async fn`, which it cannot see inside a macro).
macro_rules! as_s3s_fs {
    ($($name:ident: $input:ident => $output:ident),* $(,)?) => {
        $(
            fn $name<'life0, 'async_trait>(
                &'life0 self,
                req: S3Request<$input>,
            ) -> Pin<Box<dyn Future<Output = S3Result<S3Response<$output>>> + Send + 'async_trait>>
            where
                'life0: 'async_trait,
                Self: 'async_trait,
            {
                self.fs.$name(req)
            }
        )*
    };
}

#[async_trait::async_trait]
impl S3 for Store {
    as_s3s_fs! {
        create_bucket: CreateBucketInput => CreateBucketOutput,
        copy_object: CopyObjectInput => CopyObjectOutput,
        delete_bucket: DeleteBucketInput => DeleteBucketOutput,
        delete_object: DeleteObjectInput => DeleteObjectOutput,
        delete_objects: DeleteObjectsInput => DeleteObjectsOutput,
        get_bucket_location: GetBucketLocationInput => GetBucketLocationOutput,
        get_object: GetObjectInput => GetObjectOutput,
        head_bucket: HeadBucketInput => HeadBucketOutput,
        head_object: HeadObjectInput => HeadObjectOutput,
        list_buckets: ListBucketsInput => ListBucketsOutput,
        list_objects: ListObjectsInput => ListObjectsOutput,
        list_objects_v2: ListObjectsV2Input => ListObjectsV2Output,
        put_object: PutObjectInput => PutObjectOutput,
        create_multipart_upload: CreateMultipartUploadInput => CreateMultipartUploadOutput,
        upload_part_copy: UploadPartCopyInput => UploadPartCopyOutput,
        complete_multipart_upload: CompleteMultipartUploadInput => CompleteMultipartUploadOutput,
        abort_multipart_upload: AbortMultipartUploadInput => AbortMultipartUploadOutput,
    }

    /// Remembers each part's ETag, for `ListParts`.
    async fn upload_part(
        &self,
        req: S3Request<UploadPartInput>,
    ) -> S3Result<S3Response<UploadPartOutput>> {
        let file = part_file(&req.input.upload_id, req.input.part_number);
        let sent = self.fs.upload_part(req).await?;
        if let Some(etag) = &sent.output.e_tag {
            let mut etags = self.part_etags.lock().unwrap_or_else(|e| e.into_inner());
            etags.insert(file, etag.value().to_owned());
        }
        Ok(sent)
    }

    /// s3s-fs lists parts without their ETags; S3 gives each one's (the
    /// MD5 of its bytes), which completing the upload needs.
    async fn list_parts(
        &self,
        req: S3Request<ListPartsInput>,
    ) -> S3Result<S3Response<ListPartsOutput>> {
        let upload_id = req.input.upload_id.clone();
        // s3s-fs lists an unknown upload as empty; S3 says it does not exist
        if !self.root.join(format!(".upload-{upload_id}.json")).exists() {
            return Err(s3_error!(NoSuchUpload));
        }
        let mut listed = self.fs.list_parts(req).await?;
        if let Some(parts) = &mut listed.output.parts {
            parts.sort_by_key(|p| p.part_number);
            for part in parts.iter_mut() {
                let file = part_file(&upload_id, part.part_number.unwrap_or_default());
                let known = {
                    let etags = self.part_etags.lock().unwrap_or_else(|e| e.into_inner());
                    etags.get(&file).cloned()
                };
                let etag = match known {
                    Some(etag) => etag,
                    // stored before this process started
                    None => {
                        let bytes = tokio::fs::read(self.root.join(&file))
                            .await
                            .map_err(|e| s3_error!(InternalError, "reading {file}: {e}"))?;
                        hex::encode(Md5::digest(&bytes))
                    }
                };
                part.e_tag = Some(ETag::Strong(etag));
            }
        }
        Ok(listed)
    }

    async fn get_bucket_cors(
        &self,
        req: S3Request<GetBucketCorsInput>,
    ) -> S3Result<S3Response<GetBucketCorsOutput>> {
        self.bucket_exists(&req.input.bucket)?;
        let Some(rules) = self.cors.get(&req.input.bucket) else {
            return Err(s3_error!(
                NoSuchCORSConfiguration,
                "The CORS configuration does not exist"
            ));
        };
        let cors_rules = rules
            .into_iter()
            .map(|rule| CORSRule {
                allowed_headers: Some(rule.allowed_headers),
                allowed_methods: rule.allowed_methods,
                allowed_origins: rule.allowed_origins,
                expose_headers: Some(rule.expose_headers),
                id: None,
                max_age_seconds: rule.max_age_seconds,
            })
            .collect();
        Ok(S3Response::new(GetBucketCorsOutput {
            cors_rules: Some(cors_rules),
        }))
    }

    async fn put_bucket_cors(
        &self,
        req: S3Request<PutBucketCorsInput>,
    ) -> S3Result<S3Response<PutBucketCorsOutput>> {
        self.bucket_exists(&req.input.bucket)?;
        let rules: Vec<CorsRule> = req
            .input
            .cors_configuration
            .cors_rules
            .into_iter()
            .map(|rule| CorsRule {
                allowed_origins: rule.allowed_origins,
                allowed_methods: rule.allowed_methods,
                allowed_headers: rule.allowed_headers.unwrap_or_default(),
                expose_headers: rule.expose_headers.unwrap_or_default(),
                max_age_seconds: rule.max_age_seconds,
            })
            .collect();
        if rules.is_empty() || rules.len() > 100 {
            return Err(s3_error!(
                MalformedXML,
                "A CORS configuration holds 1 to 100 rules"
            ));
        }
        self.cors
            .set(&req.input.bucket, Some(rules))
            .map_err(|e| s3_error!(InternalError, "storing CORS rules: {e}"))?;
        Ok(S3Response::new(PutBucketCorsOutput::default()))
    }

    async fn delete_bucket_cors(
        &self,
        req: S3Request<DeleteBucketCorsInput>,
    ) -> S3Result<S3Response<DeleteBucketCorsOutput>> {
        self.bucket_exists(&req.input.bucket)?;
        self.cors
            .set(&req.input.bucket, None)
            .map_err(|e| s3_error!(InternalError, "deleting CORS rules: {e}"))?;
        Ok(S3Response::new(DeleteBucketCorsOutput::default()))
    }
}
