-- Roles on folders of a bucket (a key prefix ending in `/`), beside the
-- roles on whole buckets in `bucket_members`. The most specific grant for a
-- key decides (see crates/domain/src/grants.rs). Folder grants give Viewer
-- or Editor; Admin and Owner are about the whole bucket.
create table folder_grants (
    bucket_id uuid not null references buckets (id) on delete cascade,
    user_id   uuid not null references users (id) on delete cascade,
    folder    text not null constraint folder_grants_folder_check
              check (folder like '%/' and folder not like '/%' and folder not like '%//%'
                     and length(folder) <= 1024),
    role      text not null constraint folder_grants_role_check
              check (role in ('viewer', 'editor')),
    added_by  uuid references users (id) on delete set null,
    added_at  timestamptz not null default now(),
    primary key (bucket_id, user_id, folder)
);
-- the access check and the sidebar look a person's grants up by person
create index folder_grants_user_idx on folder_grants (user_id, bucket_id);

-- An invitation can grant a folder instead of a whole bucket ('' is the
-- whole bucket); several folders of one bucket at once.
alter table invite_buckets add column folder text not null default ''
    constraint invite_buckets_folder_check check (folder = '' or (folder like '%/' and folder not like '/%'));
alter table invite_buckets drop constraint invite_buckets_pkey;
alter table invite_buckets add primary key (invite_id, bucket_id, folder);
