-- An auth.users phone (digits, no '+') as E.164, or null when it is not a plausible number.
create or replace function nura.e164(p_phone text)
returns text
language plpgsql
immutable strict  -- null in, null out, without a call
set search_path = ''
as $$
begin
    return case when p_phone ~ '^\+?[0-9]{8,15}$' then '+' || ltrim(p_phone, '+') end;
end
$$;
comment on function nura.e164(text) is 'Normalizes an auth.users phone to E.164; null when implausible.';
revoke all on function nura.e164(text) from public;
