-- Revocable links: download links (/s/{token}) to a file, a set of files or a
-- folder, and upload links (/u/{token}) into a folder.
-- The token is 256 random bits. `token_hash` (SHA-256) is how a visit finds
-- its link (S14); `token_sealed` (AES-256-GCM under a key derived from the
-- instance key, bound to the link id) lets the creator and the bucket's
-- Admins copy the address again from the links page.

create table links (
    id             uuid primary key default gen_random_uuid(),
    kind           text not null constraint links_kind_check check (kind in ('download', 'upload')),
    token_hash     bytea not null constraint links_token_hash_key unique,
    token_sealed   bytea not null,
    workspace_id   uuid not null references workspaces (id) on delete cascade,
    -- null once the bucket is disconnected: the link is dead, its history stays
    bucket_id      uuid references buckets (id) on delete set null,
    -- the bucket's name when the link was made, for the links page
    bucket_label   text not null,
    created_by     uuid references users (id) on delete set null,
    -- download: the shared files, or one folder (ending in '/') in `folder`;
    -- upload: the folder files go into ('' = the top of the bucket)
    folder         text,
    keys           text[] not null default '{}',
    note           text not null default '' constraint links_note_check check (length(note) <= 500),
    password_hash  text,
    max_downloads  integer constraint links_max_downloads_check check (max_downloads > 0),
    downloads      integer not null default 0,
    max_file_bytes bigint constraint links_max_file_bytes_check check (max_file_bytes > 0),
    max_files      integer constraint links_max_files_check check (max_files > 0),
    notify_first_download boolean not null default false,
    created_at     timestamptz not null default now(),
    expires_at     timestamptz not null,
    revoked_at     timestamptz,
    revoked_by     uuid references users (id) on delete set null,
    last_visit_at  timestamptz,
    constraint links_target_check check (
        (kind = 'download' and (folder is not null) <> (cardinality(keys) > 0))
        or (kind = 'upload' and folder is not null and cardinality(keys) = 0))
);
create index links_workspace_idx on links (workspace_id, created_at desc);
create index links_bucket_idx on links (bucket_id);
create index links_created_by_idx on links (created_by);

-- Files sent through upload links. The name is reserved (size null) before
-- the body is read, so two uploads (through any links into the bucket) never
-- pick the same name, and the count limit holds while uploads run.
create table link_uploads (
    id          bigint generated always as identity primary key,
    link_id     uuid not null references links (id) on delete cascade,
    bucket_id   uuid not null references buckets (id) on delete cascade,
    key         text not null,
    size        bigint,
    ip          text,
    user_agent  text,
    started_at  timestamptz not null default now(),
    finished_at timestamptz,
    constraint link_uploads_key unique (bucket_id, key)
);
create index link_uploads_link_idx on link_uploads (link_id);

-- Wrong passwords typed on a link, for the rate limit.
create table link_password_failures (
    id        bigint generated always as identity primary key,
    link_id   uuid not null references links (id) on delete cascade,
    client    text not null,
    failed_at timestamptz not null default now()
);
create index link_password_failures_idx on link_password_failures (link_id, failed_at);

-- visits of a link are audit events; this finds them per link
create index audit_events_link_idx on audit_events ((details ->> 'link'))
    where details ? 'link';
