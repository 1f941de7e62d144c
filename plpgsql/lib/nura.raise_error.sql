-- Raises one of the API's PostgREST-style errors: PT400 bad input, PT401 no signed-in user,
-- PT403 forbidden, PT404 no such user or service type, PT412 stale write.
create or replace function nura.raise_error(p_code text, p_message text, p_detail text default null, p_hint text default null)
returns void
language plpgsql
set search_path = ''
as $$
begin
    raise exception using errcode = p_code, message = p_message,
        detail = coalesce(p_detail, ''), hint = coalesce(p_hint, '');
end
$$;
comment on function nura.raise_error(text, text, text, text) is 'Raises a PTnnn error with message, detail and hint.';
revoke all on function nura.raise_error(text, text, text, text) from public;
