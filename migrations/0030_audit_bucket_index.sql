-- no-transaction
-- the audit page by bucket
create index concurrently if not exists audit_events_bucket_idx
    on audit_events (bucket_id, id desc) where bucket_id is not null;
