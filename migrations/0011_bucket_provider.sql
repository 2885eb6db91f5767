-- The kind of service a bucket was connected as (the connect form's
-- provider), so rules that depend on it can tell: file-system backed
-- services (MinIO, bucketdesk's own local S3 server) resolve `.` and `..` in
-- object names, so such names are never read there (S19).
alter table buckets add column provider text not null default 'custom'
    constraint buckets_provider_check
    check (provider in ('aws', 'r2', 'minio', 'b2', 'wasabi', 'spaces', 'custom', 'local'));
update buckets set provider = 'aws' where endpoint_url is null;
