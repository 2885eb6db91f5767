-- Single sign-on (issue 17): the identities an OpenID Connect provider
-- vouches for, each tied to one account by (issuer, subject), the only pair
-- an ID token guarantees stays the same. The address is the last one the
-- provider gave, for the account page.
create table sso_identities (
    issuer        text not null,
    subject       text not null,
    user_id       uuid not null references users (id) on delete cascade,
    provider      text not null,
    email         text not null,
    linked_at     timestamptz not null default now(),
    last_used_at  timestamptz not null default now(),
    primary key (issuer, subject)
);
create index sso_identities_user_idx on sso_identities (user_id);
