-- Whether a text is an ISO 8601 date and time (null counts: it clears the field). PostgreSQL's
-- special inputs (now, today, infinity, epoch) are not.
create or replace function nura.is_timestamp(p_text text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
    if p_text !~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}' then
        return false;
    end if;
    perform p_text::timestamptz;
    return true;
exception when data_exception then
    return false;
end
$$;
comment on function nura.is_timestamp(text) is 'Whether a text is a valid timestamptz.';
revoke all on function nura.is_timestamp(text) from public;
