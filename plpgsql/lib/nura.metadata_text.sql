-- The first of p_keys in user metadata holding a non-blank string, trimmed and cut to p_max
-- characters. User metadata is user-editable: anything else is ignored, never an error.
create or replace function nura.metadata_text(p_metadata jsonb, p_keys text[], p_max integer)
returns text
language plpgsql
immutable strict  -- null in, null out, without a call
set search_path = ''
as $$
declare
    k text;
begin
    foreach k in array p_keys loop
        if jsonb_typeof(p_metadata -> k) = 'string' and btrim(p_metadata ->> k) <> '' then
            return left(btrim(p_metadata ->> k), p_max);
        end if;
    end loop;
    return null;
end
$$;
comment on function nura.metadata_text(jsonb, text[], integer) is 'Reads a profile string from user-editable metadata without ever failing.';
revoke all on function nura.metadata_text(jsonb, text[], integer) from public;
