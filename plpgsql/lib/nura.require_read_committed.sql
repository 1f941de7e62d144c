-- Refuses (0A000) to go on in a transaction whose isolation is not read committed: the caller
-- takes locks and then relies on its next statements' snapshots seeing what those locks waited
-- for, which a snapshot held for the whole transaction does not. p_what names what was refused.
create or replace function nura.require_read_committed(p_what text)
returns void
language plpgsql
set search_path = ''
as $$
begin
    if current_setting('transaction_isolation') <> 'read committed' then
        perform nura.raise_error('0A000', p_what || ' needs a read committed transaction',
            'got ' || current_setting('transaction_isolation'));
    end if;
end
$$;
comment on function nura.require_read_committed(text) is 'Refuses a transaction whose isolation is not read committed.';
revoke all on function nura.require_read_committed(text) from public;
