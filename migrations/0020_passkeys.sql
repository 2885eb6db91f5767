-- Passkeys (issue 17): WebAuthn credentials, each tied to one account.
-- `passkey` is webauthn-rs's credential (public key, counter, flags) as
-- JSON; nothing in it signs anyone in. An account with a passkey has a
-- second factor: an email code or GitHub sign-in asks for it next.
create table passkeys (
    id            uuid primary key,
    user_id       uuid not null references users (id) on delete cascade,
    credential_id bytea not null constraint passkeys_credential_unique unique,
    name          text not null constraint passkeys_name_check check (length(name) between 1 and 60),
    passkey       jsonb not null,
    created_at    timestamptz not null default now(),
    last_used_at  timestamptz
);
create index passkeys_user_idx on passkeys (user_id);
