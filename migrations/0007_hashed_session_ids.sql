-- Sessions are stored under a hash of their id from now on (S17): the cookie
-- holds the id, the table only SHA-256 of it. Rows written before kept the
-- id itself (in the key and inside the data), so they end here, cleanly:
-- their cookies find no row and people sign in again once.
do $$
begin
    if to_regclass('tower_sessions.session') is not null then
        delete from tower_sessions.session;
    end if;
end
$$;
