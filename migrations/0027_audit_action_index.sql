-- no-transaction
-- The audit page's filters as ordered index walks (newest first, stopping
-- after a page), however the filtered events are spread: a walk of the
-- workspace's events that skips the others takes as long as the log is old
-- when an action, a person or a bucket is rare in the workspace.
--
-- Built concurrently, one index per migration (CREATE INDEX CONCURRENTLY
-- runs alone, outside a transaction), so replicas still running the
-- previous version keep writing audit events meanwhile.

-- by action (and still one probe per action for the list of actions)
create index concurrently if not exists audit_events_workspace_action_id_idx
    on audit_events (workspace_id, action, id desc);
