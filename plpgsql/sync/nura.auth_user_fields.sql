-- What an auth.users row says about the public.users fields it owns or feeds, as jsonb keyed by
-- public.users column. The single place the mapping lives (nura.tg_auth_users__sync lists the
-- auth.users columns read here, to skip writes that change none of them).
create or replace function nura.auth_user_fields(p_auth auth.users)
returns jsonb
language plpgsql
stable  -- timestamptz renders by TimeZone
set search_path = ''
as $$
begin
    return jsonb_build_object(
        'email', p_auth.email,
        'phone_number', nura.e164(p_auth.phone),
        'full_name', nura.metadata_text(p_auth.raw_user_meta_data, '{full_name,name}', 200),
        'avatar_url', nura.metadata_url(p_auth.raw_user_meta_data, '{avatar_url,picture}'),
        'email_confirmed_at', p_auth.email_confirmed_at,
        'phone_confirmed_at', p_auth.phone_confirmed_at,
        'last_sign_in_at', p_auth.last_sign_in_at,
        'created_at', p_auth.created_at
    );
end
$$;
comment on function nura.auth_user_fields(auth.users) is 'Maps an auth.users row to the public.users fields it feeds.';
revoke all on function nura.auth_user_fields(auth.users) from public;
