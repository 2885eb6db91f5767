-- bucket_secrets.version was bumped on every change for in-memory caches, but
-- no cache ever read it: the S3 client cache is keyed by the bucket row's
-- updated_at, which every change to a bucket (name or key pair) moves on.
alter table bucket_secrets drop column version;
