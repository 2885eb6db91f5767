-- Sign-in with GitHub: an account is linked to at most one GitHub identity,
-- matched by GitHub's numeric user id (never by login name, which can change
-- hands). The login is kept only to show which GitHub account is linked.

alter table users
    add column github_id    bigint constraint users_github_id_key unique,
    add column github_login text;
