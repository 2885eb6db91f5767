-- Workspaces, their members, connected buckets and their sealed secrets.

create table workspaces (
    id         uuid primary key default gen_random_uuid(),
    name       text not null constraint workspaces_name_check check (length(name) between 1 and 100),
    created_by uuid references users (id) on delete set null,
    created_at timestamptz not null default now()
);

-- Who belongs to a workspace. `role` is the person's standing in the
-- workspace itself: an owner manages it and owns every bucket connected in it.
create table workspace_members (
    workspace_id uuid not null references workspaces (id) on delete cascade,
    user_id      uuid not null references users (id) on delete cascade,
    role         text not null constraint workspace_members_role_check
                 check (role in ('viewer', 'editor', 'admin', 'owner')),
    added_at     timestamptz not null default now(),
    primary key (workspace_id, user_id)
);
create index workspace_members_user_idx on workspace_members (user_id);

create table buckets (
    id            uuid primary key default gen_random_uuid(),
    workspace_id  uuid not null references workspaces (id) on delete cascade,
    display_name  text not null constraint buckets_display_name_check check (length(display_name) between 1 and 100),
    bucket_name   text not null,
    region        text not null,
    -- null: AWS S3, reached at its regional endpoint
    endpoint_url  text,
    path_style    boolean not null,
    access_key_id text not null,
    created_by    uuid references users (id) on delete set null,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint buckets_workspace_display_name_key unique (workspace_id, display_name)
);
create index buckets_workspace_idx on buckets (workspace_id);

-- A bucket's secret access key, envelope-encrypted (see crates/vault):
-- AES-256-GCM under a per-secret data key, that key wrapped with RSA-OAEP-SHA256
-- under the instance key `key_id`. Deleted with the bucket.
create table bucket_secrets (
    bucket_id   uuid primary key references buckets (id) on delete cascade,
    key_id      text not null,
    wrapped_key bytea not null,
    nonce       bytea not null,
    ciphertext  bytea not null,
    -- bumped whenever the secret changes, so in-memory caches know to reload
    version     integer not null default 1,
    updated_at  timestamptz not null default now()
);
create index bucket_secrets_key_idx on bucket_secrets (key_id);

-- Each person's role on each bucket (the roles issue adds invites and changes).
create table bucket_members (
    bucket_id uuid not null references buckets (id) on delete cascade,
    user_id   uuid not null references users (id) on delete cascade,
    role      text not null constraint bucket_members_role_check
              check (role in ('viewer', 'editor', 'admin', 'owner')),
    added_at  timestamptz not null default now(),
    primary key (bucket_id, user_id)
);
create index bucket_members_user_idx on bucket_members (user_id);

alter table audit_events
    add column workspace_id uuid references workspaces (id) on delete set null,
    add column bucket_id uuid references buckets (id) on delete set null;
create index audit_events_workspace_idx on audit_events (workspace_id, occurred_at desc);
