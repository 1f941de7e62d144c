select nura.install_trigger('public.users', 'tg_users__count_delete', $$
    create trigger tg_users__count_delete
        after delete on public.users
        referencing old table as counted
        for each statement
        execute function nura.tg_users__count()
$$);
