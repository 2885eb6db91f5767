-- Uploads sent in chunks (issue 16): each is one S3 multipart upload whose
-- parts are written down as they land, so any replica takes the next chunk
-- and a reload, or another day, resumes where it stopped. Only the person
-- who started one sends its chunks. One untouched for a day (by default) is
-- aborted, in S3 and here.
create table resumable_uploads (
    id            uuid primary key,
    bucket_id     uuid not null references buckets (id) on delete cascade,
    user_id       uuid not null references users (id) on delete cascade,
    key           text not null,
    s3_upload_id  text not null unique,
    size          bigint not null check (size > 0),
    -- the file's last-modified time in the browser (ms since 1970), which
    -- with its name and size recognises the same file when it is picked again
    last_modified bigint not null,
    part_size     bigint not null check (part_size > 0),
    content_type  text,
    overwrite     boolean not null,
    started_at    timestamptz not null default now(),
    touched_at    timestamptz not null default now()
);
create index resumable_uploads_owner_idx on resumable_uploads (bucket_id, user_id);
create index resumable_uploads_touched_idx on resumable_uploads (touched_at);

create table resumable_upload_parts (
    upload_id uuid not null references resumable_uploads (id) on delete cascade,
    number    integer not null check (number between 1 and 10000),
    size      bigint not null,
    etag      text not null,
    primary key (upload_id, number)
);
