-- The first of p_keys in user metadata holding an http(s) URL of at most 2048 characters.
-- A cut URL would point elsewhere, so an over-long one is ignored rather than truncated.
create or replace function nura.metadata_url(p_metadata jsonb, p_keys text[])
returns text
language plpgsql
immutable strict  -- null in, null out, without a call
set search_path = ''
as $$
declare
    k text;
    v text;
begin
    foreach k in array p_keys loop
        if jsonb_typeof(p_metadata -> k) = 'string' then
            v := btrim(p_metadata ->> k);
            if v ~* '^https?://[^[:space:]]+$' and char_length(v) <= 2048 then
                return v;
            end if;
        end if;
    end loop;
    return null;
end
$$;
comment on function nura.metadata_url(jsonb, text[]) is 'Reads an avatar URL from user-editable metadata; anything but http(s) is ignored.';
revoke all on function nura.metadata_url(jsonb, text[]) from public;
