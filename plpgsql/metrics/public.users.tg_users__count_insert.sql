select nura.install_trigger('public.users', 'tg_users__count_insert', $$
    create trigger tg_users__count_insert
        after insert on public.users
        referencing new table as counted
        for each statement
        execute function nura.tg_users__count()
$$);
