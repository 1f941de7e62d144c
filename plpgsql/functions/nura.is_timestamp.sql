-- Whether a text reads as a timestamptz (null counts: it clears the field).
create or replace function nura.is_timestamp(p_text text)
returns boolean
language plpgsql
stable
set search_path = ''
as $$
begin
    perform p_text::timestamptz;
    return true;
exception when data_exception then
    return false;
end
$$;
comment on function nura.is_timestamp(text) is 'Whether a text is a valid timestamptz.';
revoke all on function nura.is_timestamp(text) from public;
