-- The networks a link may be opened from (CIDR ranges, in their shortest
-- form); none: from anywhere.
alter table links add column networks text[] not null default '{}';
