-- Invitations by email to a workspace, with a role on each chosen bucket.
-- The token is 256 random bits; only its SHA-256 is stored (S14).

create table invites (
    id           uuid primary key default gen_random_uuid(),
    workspace_id uuid not null references workspaces (id) on delete cascade,
    email        text not null,
    token_hash   bytea not null constraint invites_token_hash_key unique,
    invited_by   uuid references users (id) on delete set null,
    created_at   timestamptz not null default now(),
    -- when the current token was mailed (re-sending replaces the token)
    sent_at      timestamptz not null default now(),
    expires_at   timestamptz not null,
    accepted_at  timestamptz,
    accepted_by  uuid references users (id) on delete set null,
    cancelled_at timestamptz
);
-- at most one pending invite per person and workspace
create unique index invites_pending_key on invites (workspace_id, email)
    where accepted_at is null and cancelled_at is null;

create table invite_buckets (
    invite_id uuid not null references invites (id) on delete cascade,
    bucket_id uuid not null references buckets (id) on delete cascade,
    role      text not null constraint invite_buckets_role_check
              check (role in ('viewer', 'editor', 'admin', 'owner')),
    primary key (invite_id, bucket_id)
);
