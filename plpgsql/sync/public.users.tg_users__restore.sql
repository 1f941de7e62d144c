-- Only rows that name their own updated_at: the sync's, the API's and the import's take now().
select nura.install_trigger('public.users', 'tg_users__restore', $$
    create trigger tg_users__restore
        before insert on public.users
        for each row
        when (new.updated_at is distinct from now())
        execute function nura.tg_users__restore()
$$);
