-- Each signed-in session, as its owner sees it on the account page: where
-- and how it signed in, when it was last seen (S18: active sessions are
-- listed and can be ended one by one). `id` is the sign-in's own random id
-- (what `ended_sessions` lists), never the cookie's session id.
create table user_sessions (
    id                 uuid primary key,
    user_id            uuid not null references users (id) on delete cascade,
    -- the user's session epoch at sign-in: "sign out everywhere" ends it
    epoch              integer not null,
    -- email_code, email_link or github
    method             text not null,
    ip                 text,
    user_agent         text,
    signed_in_at       timestamptz not null default now(),
    last_seen_at       timestamptz not null default now(),
    -- when the owner last proved it was them again (a fresh code, S18)
    reauthenticated_at timestamptz
);
create index user_sessions_user_idx on user_sessions (user_id, last_seen_at desc);
