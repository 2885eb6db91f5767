-- Pages that must stay fast on a busy instance (millions of audit events).

-- the home page's recent activity: a person's events by address, newest
-- first (by id, with audit_events_actor_idx, in two index walks)
create index audit_events_actor_email_idx on audit_events (actor_email, occurred_at desc);

-- the audit page lists a workspace's events newest first and pages by id
create index audit_events_workspace_id_idx on audit_events (workspace_id, id desc);

-- the audit page's list of actions: one index probe per action
create index audit_events_workspace_action_idx on audit_events (workspace_id, action);
