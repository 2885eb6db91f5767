-- Upload links can mail their creator when files arrive: at most one mail
-- per link every 10 minutes, listing what arrived since the last one.
alter table links add column notify_arrivals boolean not null default false;
alter table links add column arrivals_mailed_at timestamptz;
-- the mailer's sweep looks only at links that asked for it
create index links_notify_arrivals on links (arrivals_mailed_at) where notify_arrivals;
