-- A second factor (issue 17): an authenticator app (TOTP) and recovery
-- codes, asked for after an email code or GitHub; single sign-on leaves
-- the second factor to the identity provider.

-- Whether the account has a second factor; read with the user on every
-- request, so the workspace rule costs no extra query.
alter table users add column second_factor boolean not null default false;

-- One authenticator app per account. The secret is sealed under a key
-- derived from the instance key (re-sealed by `keys rotate`), bound to the
-- user's id. `last_step` is the newest 30-second step a code was accepted
-- for: a code is good once, and no older step is accepted after it.
create table totp_factors (
    user_id       uuid primary key references users (id) on delete cascade,
    secret_sealed bytea not null,
    last_step     bigint not null default 0,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz
);

-- Ten codes shown once; only a SHA-256 of each is kept (they carry 60
-- random bits, so a fast hash is enough). A used code keeps its row.
create table recovery_codes (
    user_id    uuid not null references users (id) on delete cascade,
    code_hash  bytea not null,
    used_at    timestamptz,
    primary key (user_id, code_hash)
);

-- Wrong second-factor codes, counted per account over the last hour, so
-- nobody who got past the first factor can keep guessing.
create table second_factor_failures (
    user_id uuid not null references users (id) on delete cascade,
    at      timestamptz not null default now()
);
create index second_factor_failures_user_idx on second_factor_failures (user_id, at);

-- "Members must use a second factor or single sign-on."
alter table workspaces add column require_second_factor boolean not null default false;

-- Whether the session that made a token had passed a second factor or
-- single sign-on: such a token keeps working where the rule is on.
alter table access_tokens add column strong boolean not null default false;
