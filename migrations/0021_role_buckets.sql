-- Buckets connected with an IAM role instead of a stored key: bucketdesk
-- assumes the role with its workspace's external id, and keeps no secret
-- for such a bucket. A bucket has a key or a role, never both.
alter table buckets alter column access_key_id drop not null;
alter table buckets add column role_arn text;
alter table buckets add constraint buckets_key_or_role
    check ((access_key_id is null) <> (role_arn is null));

-- The external id each workspace's role trust policies ask for (the
-- "confused deputy" guard: another workspace cannot name this one's roles).
alter table workspaces add column external_id text not null
    default ('bucketdesk-' || replace(gen_random_uuid()::text, '-', ''));
