-- Sessions that were signed out. Deleting the session row is not enough: a
-- request that loaded the session just before sign-out can save it again
-- afterwards. Each signed-in session carries a random id; once it is listed
-- here, no copy of that session signs anyone in.
create table ended_sessions (
    id           uuid primary key,
    ended_at     timestamptz not null default now(),
    -- after this, the session would have expired anyway and the row can go
    forget_after timestamptz not null
);
