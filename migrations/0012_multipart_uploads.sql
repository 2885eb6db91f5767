-- Multipart uploads bucketdesk started and has not finished or aborted yet
-- (R8). A row outlives its upload only when the process was killed in the
-- middle, or S3 could not be told to abort: such uploads are aborted at
-- start-up and every hour once they are a day old.
create table multipart_uploads (
    upload_id  text primary key,
    bucket_id  uuid not null references buckets (id) on delete cascade,
    key        text not null,
    started_at timestamptz not null default now()
);
create index multipart_uploads_started_idx on multipart_uploads (started_at);
