-- The first of p_keys in user metadata holding an http(s) URL of at most 2048 characters.
-- A cut URL would point elsewhere, so an over-long one is ignored rather than truncated.
create or replace function nura.metadata_url(p_metadata jsonb, p_keys text[])
returns text
language sql
immutable
set search_path = ''
as $$
    select btrim(p_metadata ->> k)
    from unnest(p_keys) with ordinality as t(k, n)
    where jsonb_typeof(p_metadata -> k) = 'string'
      and btrim(p_metadata ->> k) ~* '^https?://[^[:space:]]+$'
      and char_length(btrim(p_metadata ->> k)) <= 2048
    order by n
    limit 1
$$;
comment on function nura.metadata_url(jsonb, text[]) is 'Reads an avatar URL from user-editable metadata; anything but http(s) is ignored.';
