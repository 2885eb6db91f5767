-- no-transaction
-- the audit page by person: an address (equal), or the start of one (a range)
create index concurrently if not exists audit_events_workspace_person_idx
    on audit_events (workspace_id, lower(actor_email) text_pattern_ops, id desc);
