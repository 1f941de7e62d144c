-- A sync-log image with the values of the given personal fields nulled: the keys stay, so the
-- row still says what changed, but not to what.
create or replace function nura.erase_personal(p_data jsonb, p_fields text[])
returns jsonb
language plpgsql
immutable
set search_path = ''
as $$
declare
    k text;
begin
    foreach k in array p_fields loop
        if p_data ? k then
            p_data := jsonb_set(p_data, array[k], 'null');
        end if;
    end loop;
    return p_data;
end
$$;
comment on function nura.erase_personal(jsonb, text[]) is 'Nulls the personal values in a sync-log image.';
revoke all on function nura.erase_personal(jsonb, text[]) from public;
