-- Browsers send upload parts straight to the bucket, with a presigned URL
-- per part, instead of through bucketdesk: turned on by an Owner once the
-- bucket's CORS rules allow bucketdesk's origin.
alter table buckets add column direct_uploads boolean not null default false;

-- An upload whose parts go straight to the bucket: which parts landed is
-- asked of S3 (ListParts), since bucketdesk does not see them arrive.
alter table resumable_uploads add column direct boolean not null default false;

-- A completed upload is kept (without its parts) for a while, so a repeated
-- "complete" whose first answer was lost answers the same instead of "not
-- found"; the hourly clean-up forgets it after an hour.
alter table resumable_uploads add column completed_at timestamptz;

-- One upload under way per file (person, bucket, key, size and modified
-- time): two tabs or a double click starting the same file at once resume
-- one upload instead of racing two.
create unique index resumable_uploads_same_file
    on resumable_uploads (bucket_id, user_id, key, size, last_modified)
    where completed_at is null;
