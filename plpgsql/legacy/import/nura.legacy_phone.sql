-- A legacy phone number as E.164, or null when it cannot be one without guessing a country:
-- a trunk "(0)" after the country code dropped, then spaces, dots, dashes and parentheses, and
-- a leading 00 read as +.
create or replace function nura.legacy_phone(p_phone text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
declare
    v_phone constant text := regexp_replace(regexp_replace(replace(btrim(p_phone), '(0)', ''), '[\s().-]', '', 'g'), '^00', '+');
begin
    return case when v_phone ~ '^\+[0-9]{8,15}$' then v_phone end;
end
$$;
comment on function nura.legacy_phone(text) is 'Normalizes a legacy phone to E.164; null when it has no country code.';
revoke all on function nura.legacy_phone(text) from public;
