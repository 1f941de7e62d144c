-- A header of the HTTP request this transaction serves, as PostgREST (and nura-users' API) set
-- them in request.headers; null outside a request or if the header is absent.
create or replace function nura.request_header(p_name text)
returns text
language plpgsql
stable
set search_path = ''
as $$
begin
    return nullif(current_setting('request.headers', true), '')::jsonb ->> p_name;
exception when invalid_text_representation then
    return null;
end
$$;
comment on function nura.request_header(text) is 'A header of the current API request, from request.headers.';
revoke all on function nura.request_header(text) from public;
