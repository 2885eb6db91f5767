-- Personal access tokens for the JSON API and the command-line client.
-- Only the SHA-256 of a token is stored (S14, S17): the token itself is
-- shown once, when it is made. `prefix` is its first characters
-- ("bdk_" and four more), enough to recognise it in a list or a log.
create table access_tokens (
    id           uuid primary key,
    user_id      uuid not null references users (id) on delete cascade,
    name         text not null,
    token_hash   bytea not null unique,
    prefix       text not null,
    -- read, write, share, admin
    scopes       text[] not null,
    created_at   timestamptz not null default now(),
    expires_at   timestamptz not null,
    last_used_at timestamptz,
    last_used_ip text,
    revoked_at   timestamptz
);
create index access_tokens_user_idx on access_tokens (user_id, created_at desc);
