-- Instance admins disable accounts (S16): a disabled account cannot sign in
-- by any method, its sessions end at once and its revocable links stop.
alter table users
    add column disabled_at timestamptz,
    add column disabled_by uuid references users (id) on delete set null;
