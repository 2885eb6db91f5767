-- no-transaction
-- replaced by audit_events_workspace_action_id_idx (0027)
drop index concurrently if exists audit_events_workspace_action_idx;
