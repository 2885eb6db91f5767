-- Sign-in limits per client network (ASVS 6.1.1): a stranger's requests and
-- wrong codes use up the stranger's allowance, not the address owner's.

-- which client network typed the wrong code
alter table login_failures add column client_key text;
create index login_failures_email_client_idx on login_failures (email, client_key, failed_at);

-- a lockout of one client network for one address, or with client_key ''
-- of every client: then a code works only through the sign-in link of its mail
alter table login_lockouts add column client_key text not null default '';
alter table login_lockouts drop constraint login_lockouts_pkey;
alter table login_lockouts add constraint login_lockouts_pkey primary key (email, client_key);

-- each code mail carries a one-time "sign in here" link that works in any
-- browser, together with the code: SHA-256 of its 256-bit token
alter table login_codes add column link_hash bytea constraint login_codes_link_hash_key unique;
