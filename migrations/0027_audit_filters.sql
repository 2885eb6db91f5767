-- The audit page's filters as ordered index walks (newest first, stopping
-- after a page), whatever the size of the log and however the filtered
-- events are spread: a walk of the workspace's events that skips the
-- others takes as long as the log is old when an action, a person or a
-- bucket is rare in the workspace.

-- by action (and still one probe per action for the list of actions)
drop index audit_events_workspace_action_idx;
create index audit_events_workspace_action_idx on audit_events (workspace_id, action, id desc);

-- by person: an address (equal), or the start of one (a range, then sorted)
create index audit_events_workspace_person_idx
    on audit_events (workspace_id, lower(actor_email) text_pattern_ops, id desc);

-- by bucket
create index audit_events_bucket_idx on audit_events (bucket_id, id desc) where bucket_id is not null;

-- the planner needs the statistics of lower(actor_email) to choose between
-- the person index and a walk of the workspace for the start of an address
analyze audit_events;
