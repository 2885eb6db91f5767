-- the planner needs the statistics of lower(actor_email) (0029) to choose
-- between the person index and a walk of the workspace's events
analyze audit_events;
