-- An email as the legacy import matches people by it: surrounding whitespace (tabs and line
-- breaks too) trimmed, lower-cased, null when nothing is left.
create or replace function nura.normalized_email(p_email text)
returns text
language plpgsql
immutable strict  -- null in, null out, without a call
set search_path = ''
as $$
begin
    return nullif(lower(btrim(p_email, E' \t\n\r\f')), '');
end
$$;
comment on function nura.normalized_email(text) is 'An email trimmed and lower-cased, for matching people.';
revoke all on function nura.normalized_email(text) from public;
