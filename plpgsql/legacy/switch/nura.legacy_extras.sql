-- The extra columns of a switched legacy table's row (p_kept, typed as the kept table) from a
-- profile's service_metadata: every column in p_columns takes the key of its name (absent: null).
-- A value that does not fit the column's type (another service wrote the key) leaves the kept
-- table's value, so one odd key never breaks reading the view.
create or replace function nura.legacy_extras(p_kept anyelement, p_metadata jsonb, p_columns text[])
returns anyelement
language plpgsql
stable
set search_path = ''
as $$
declare
    v_row alias for $0;
    v_column text;
begin
    v_row := p_kept;
    begin
        return jsonb_populate_record(p_kept, (select jsonb_object_agg(c, coalesce(p_metadata -> c, 'null'))
                                             from unnest(p_columns) c));
    exception when others then
        foreach v_column in array p_columns loop
            begin
                v_row := jsonb_populate_record(v_row, jsonb_build_object(v_column, coalesce(p_metadata -> v_column, 'null')));
            exception when others then
                null;  -- keeps the table's value
            end;
        end loop;
        return v_row;
    end;
end
$$;
comment on function nura.legacy_extras(anyelement, jsonb, text[]) is 'Legacy switch: a legacy row''s extra columns from a profile''s metadata.';
revoke all on function nura.legacy_extras(anyelement, jsonb, text[]) from public;
grant execute on function nura.legacy_extras(anyelement, jsonb, text[]) to nura_service, service_role;  -- the views' readers
