select nura.install_trigger('public.users', 'tg_users__count_truncate', $$
    create trigger tg_users__count_truncate
        after truncate on public.users
        for each statement
        execute function nura.tg_users__count()
$$);
