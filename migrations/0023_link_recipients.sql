-- The addresses a link is for: a visitor opens it only after typing one of
-- them and the code mailed to it (none: anyone with the link).
alter table links add column recipients text[] not null default '{}';
