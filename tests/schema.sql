--
-- Name: nura; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA nura;
--
-- Name: SCHEMA nura; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA nura IS 'nura-users: the sync from auth.users and the functions services and users call';
--
-- Name: public; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA public;
--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA public IS 'standard public schema';
--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid NOT NULL,
    email text,
    phone_number text,
    full_name text,
    display_name text,
    bio text,
    avatar_url text,
    email_confirmed_at timestamp with time zone,
    phone_confirmed_at timestamp with time zone,
    last_sign_in_at timestamp with time zone,
    is_active boolean DEFAULT true NOT NULL,
    current_streak integer DEFAULT 0 NOT NULL,
    xp integer DEFAULT 0 NOT NULL,
    privacy_settings jsonb DEFAULT '{}'::jsonb NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_active_at timestamp with time zone,
    deleted_at timestamp with time zone,
    origin text NOT NULL,
    auth_updated_at timestamp with time zone,
    auth_fields jsonb,
    CONSTRAINT users_auth_fields_check CHECK ((jsonb_typeof(auth_fields) = 'object'::text)),
    CONSTRAINT users_avatar_url_check CHECK (((char_length(avatar_url) <= 2048) AND (avatar_url ~* '^https?://'::text))),
    CONSTRAINT users_bio_check CHECK ((char_length(bio) <= 2000)),
    CONSTRAINT users_current_streak_check CHECK ((current_streak >= 0)),
    CONSTRAINT users_display_name_check CHECK ((char_length(display_name) <= 200)),
    CONSTRAINT users_full_name_check CHECK ((char_length(full_name) <= 200)),
    CONSTRAINT users_origin_check CHECK ((origin = ANY (ARRAY['supabase_auth'::text, 'supabase_webhook'::text, 'legacy_migration'::text, 'backend_api'::text]))),
    CONSTRAINT users_phone_number_check CHECK ((phone_number ~ '^\+[0-9]{8,15}$'::text)),
    CONSTRAINT users_privacy_settings_check CHECK ((jsonb_typeof(privacy_settings) = 'object'::text)),
    CONSTRAINT users_tombstone_holds_nothing_personal CHECK (((deleted_at IS NULL) OR ((NOT is_active) AND (email IS NULL) AND (phone_number IS NULL) AND (full_name IS NULL) AND (display_name IS NULL) AND (bio IS NULL) AND (avatar_url IS NULL) AND (privacy_settings = '{}'::jsonb) AND (email_confirmed_at IS NULL) AND (phone_confirmed_at IS NULL) AND (last_sign_in_at IS NULL) AND (last_active_at IS NULL) AND (xp = 0) AND (current_streak = 0) AND (auth_fields IS NULL) AND (auth_updated_at IS NULL)))),
    CONSTRAINT users_xp_check CHECK ((xp >= 0))
)
WITH (fillfactor='80');
--
-- Name: TABLE users; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.users IS 'One row per person, keyed by the Supabase auth user id; kept by nura-users.';
--
-- Name: run_prune(integer, integer); Type: PROCEDURE; Schema: nura; Owner: -
--

CREATE PROCEDURE nura.run_prune(IN p_older_than_days integer, IN p_batch integer DEFAULT 10000)
    LANGUAGE plpgsql
    AS $$
declare
    v_before timestamptz;
    v_last bigint := 0;
begin
    if p_older_than_days is null or p_older_than_days not between 1 and 36500 then
        perform nura.raise_error('PT400', 'the age must be a whole number of days from 1 to 36500');
    end if;
    v_before := pg_catalog.now() - pg_catalog.make_interval(days => p_older_than_days);
    while v_last is not null loop
        select p.last_id into v_last from nura.prune_sync_logs(v_before, v_last, p_batch) p;
        commit;
    end loop;
end
$$;
--
-- Name: PROCEDURE run_prune(IN p_older_than_days integer, IN p_batch integer); Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON PROCEDURE nura.run_prune(IN p_older_than_days integer, IN p_batch integer) IS 'Prunes the sync log in committed batches (for a scheduled job).';
--
-- Name: run_reconcile(integer); Type: PROCEDURE; Schema: nura; Owner: -
--

CREATE PROCEDURE nura.run_reconcile(IN p_batch integer DEFAULT 1000)
    LANGUAGE plpgsql
    AS $$
declare
    v_page bigint;
    v_after uuid;
begin
    loop
        select b.next_page into v_page from nura.backfill_users(v_page, null) b;
        commit;
        exit when v_page is null;
    end loop;
    perform from nura.check_all();
    commit;
    loop
        select b.last_id into v_after from nura.reconcile_batch(v_after, p_batch) b;
        commit;
        exit when v_after is null;
    end loop;
end
$$;
--
-- Name: PROCEDURE run_reconcile(IN p_batch integer); Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON PROCEDURE nura.run_reconcile(IN p_batch integer) IS 'Backfills, checks and repairs in committed batches (for a scheduled job).';
--
-- Name: check_state; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.check_state (
    one_row boolean DEFAULT true NOT NULL,
    checked_through bigint NOT NULL,
    counted_through bigint NOT NULL,
    pending_log_id bigint,
    pending_xmax xid8,
    rechecked_through uuid,
    changes_checked_at timestamp with time zone,
    full_check_at timestamp with time zone,
    CONSTRAINT check_state_one_row_check CHECK (one_row)
);
--
-- Name: TABLE check_state; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.check_state IS 'How far the incremental check and the sync counts have read the log.';
--
-- Name: drift_problems; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.drift_problems (
    user_id uuid NOT NULL,
    problem text NOT NULL,
    detail jsonb NOT NULL,
    found_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT drift_problems_problem_check CHECK ((problem = ANY (ARRAY['missing'::text, 'stale'::text, 'failed'::text, 'orphaned'::text])))
);
--
-- Name: TABLE drift_problems; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.drift_problems IS 'Drift problems known from the last full check and the log since.';
--
-- Name: legacy_adoptions_blocked; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.legacy_adoptions_blocked (
    account_id uuid NOT NULL,
    person_id uuid NOT NULL,
    blocked_by text NOT NULL,
    blocked_at timestamp with time zone DEFAULT now() NOT NULL
);
--
-- Name: TABLE legacy_adoptions_blocked; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.legacy_adoptions_blocked IS 'Legacy people whose adoption by an account waits on a foreign key that does not cascade.';
--
-- Name: legacy_conflicts; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.legacy_conflicts (
    user_id uuid NOT NULL,
    field text NOT NULL,
    kept_value text,
    kept_source text,
    other_value text NOT NULL,
    other_source text NOT NULL,
    id bigint NOT NULL
);
--
-- Name: TABLE legacy_conflicts; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.legacy_conflicts IS 'Every legacy value that lost to another, or that no column could store.';
--
-- Name: legacy_conflicts_id_seq; Type: SEQUENCE; Schema: nura; Owner: -
--

ALTER TABLE nura.legacy_conflicts ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME nura.legacy_conflicts_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
--
-- Name: legacy_repoint_values; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.legacy_repoint_values (
    table_schema text NOT NULL,
    table_name text NOT NULL,
    column_name text NOT NULL,
    row_key jsonb NOT NULL,
    legacy_id uuid NOT NULL
);
--
-- Name: TABLE legacy_repoint_values; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.legacy_repoint_values IS 'The legacy id each repointed row held, for `legacy repoint --back`.';
--
-- Name: legacy_repoints; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.legacy_repoints (
    table_schema text NOT NULL,
    table_name text NOT NULL,
    column_name text NOT NULL,
    legacy_table text NOT NULL,
    legacy_column text NOT NULL,
    constraint_name text NOT NULL,
    on_update "char" NOT NULL,
    on_delete "char" NOT NULL,
    is_deferrable boolean NOT NULL,
    is_deferred boolean NOT NULL,
    rows_rewritten bigint NOT NULL,
    repointed_at timestamp with time zone DEFAULT now() NOT NULL
);
--
-- Name: TABLE legacy_repoints; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.legacy_repoints IS 'Dependent columns moved from legacy ids to user ids by `nura-users legacy repoint`.';
--
-- Name: legacy_rows; Type: TABLE; Schema: nura; Owner: -
--

CREATE UNLOGGED TABLE nura.legacy_rows (
    legacy_table text NOT NULL,
    legacy_id uuid NOT NULL,
    precedence integer NOT NULL,
    row_data jsonb NOT NULL,
    email text,
    created_at timestamp with time zone,
    person_id uuid,
    batch integer,
    row_digest text,
    id bigint NOT NULL
);
--
-- Name: legacy_rows_id_seq; Type: SEQUENCE; Schema: nura; Owner: -
--

ALTER TABLE nura.legacy_rows ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME nura.legacy_rows_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
--
-- Name: legacy_user_map; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.legacy_user_map (
    legacy_table text NOT NULL,
    legacy_id uuid NOT NULL,
    user_id uuid NOT NULL,
    row_digest text,
    CONSTRAINT legacy_user_map_legacy_table_check CHECK ((legacy_table = ANY (ARRAY['chat_users'::text, 'voice_users'::text, 'custom_users'::text])))
);
--
-- Name: TABLE legacy_user_map; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.legacy_user_map IS 'Legacy row -> the public.users row it became.';
--
-- Name: service_types; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.service_types (
    service_type text NOT NULL,
    default_preferences jsonb DEFAULT '{}'::jsonb NOT NULL,
    CONSTRAINT service_types_default_preferences_check CHECK ((jsonb_typeof(default_preferences) = 'object'::text)),
    CONSTRAINT service_types_service_type_check CHECK ((service_type ~ '^[a-z][a-z0-9_]{0,62}$'::text))
);
--
-- Name: TABLE service_types; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.service_types IS 'The services a user can have a profile for; registering one is an INSERT here.';
--
-- Name: sync_log_counts; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.sync_log_counts (
    source text NOT NULL,
    success boolean NOT NULL,
    logged bigint NOT NULL,
    last_at timestamp with time zone
);
--
-- Name: TABLE sync_log_counts; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.sync_log_counts IS 'Sync-log rows counted so far, by source and outcome.';
--
-- Name: sync_log_removed; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.sync_log_removed (
    id bigint NOT NULL,
    source text NOT NULL,
    success boolean NOT NULL,
    removed bigint NOT NULL,
    last_at timestamp with time zone NOT NULL,
    CONSTRAINT sync_log_removed_removed_check CHECK ((removed > 0))
);
--
-- Name: TABLE sync_log_removed; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.sync_log_removed IS 'Sync-log rows deleted (pruned or erased), by source and outcome.';
--
-- Name: sync_log_removed_id_seq; Type: SEQUENCE; Schema: nura; Owner: -
--

ALTER TABLE nura.sync_log_removed ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME nura.sync_log_removed_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
--
-- Name: user_sync_logs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_sync_logs (
    id bigint NOT NULL,
    user_id uuid,
    sync_type text NOT NULL,
    source text NOT NULL,
    before_data jsonb,
    after_data jsonb,
    success boolean NOT NULL,
    error_message text,
    request_id text,
    session_id text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT user_sync_logs_failure_has_error CHECK ((success OR (error_message IS NOT NULL))),
    CONSTRAINT user_sync_logs_source_check CHECK ((source = ANY (ARRAY['supabase_auth'::text, 'frontend_sync'::text, 'backend_api'::text, 'supabase_webhook'::text, 'reconcile'::text, 'legacy_migration'::text]))),
    CONSTRAINT user_sync_logs_sync_type_check CHECK ((sync_type = ANY (ARRAY['create'::text, 'update'::text, 'delete'::text, 'profile_update'::text, 'service_update'::text, 'backend_update'::text, 'reconcile'::text, 'legacy_import'::text])))
);
--
-- Name: TABLE user_sync_logs; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.user_sync_logs IS 'Why every row of public.users is as it is: one row per change, only the changed fields.';
--
-- Name: user_count_changes; Type: TABLE; Schema: nura; Owner: -
--

CREATE TABLE nura.user_count_changes (
    id bigint NOT NULL,
    origin text NOT NULL,
    live bigint NOT NULL,
    deleted bigint NOT NULL
);
--
-- Name: TABLE user_count_changes; Type: COMMENT; Schema: nura; Owner: -
--

COMMENT ON TABLE nura.user_count_changes IS 'Changes to the count of users by origin; their sum is the count.';
--
-- Name: user_count_changes_id_seq; Type: SEQUENCE; Schema: nura; Owner: -
--

ALTER TABLE nura.user_count_changes ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME nura.user_count_changes_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
--
-- Name: user_service_profiles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_service_profiles (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    service_type text NOT NULL,
    service_preferences jsonb DEFAULT '{}'::jsonb NOT NULL,
    service_metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    usage_stats jsonb DEFAULT '{}'::jsonb NOT NULL,
    onboarding_completed boolean DEFAULT false NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    CONSTRAINT user_service_profiles_service_metadata_check CHECK ((jsonb_typeof(service_metadata) = 'object'::text)),
    CONSTRAINT user_service_profiles_service_preferences_check CHECK ((jsonb_typeof(service_preferences) = 'object'::text)),
    CONSTRAINT user_service_profiles_usage_stats_check CHECK ((jsonb_typeof(usage_stats) = 'object'::text))
);
--
-- Name: TABLE user_service_profiles; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.user_service_profiles IS 'Per-service data of a user; written on first use, read as the type''s defaults before.';
--
-- Name: user_sync_logs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.user_sync_logs ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.user_sync_logs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);
--
-- Name: check_state check_state_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.check_state
    ADD CONSTRAINT check_state_pkey PRIMARY KEY (one_row);
--
-- Name: drift_problems drift_problems_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.drift_problems
    ADD CONSTRAINT drift_problems_pkey PRIMARY KEY (user_id, problem);
--
-- Name: legacy_adoptions_blocked legacy_adoptions_blocked_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_adoptions_blocked
    ADD CONSTRAINT legacy_adoptions_blocked_pkey PRIMARY KEY (account_id);
--
-- Name: legacy_conflicts legacy_conflicts_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_conflicts
    ADD CONSTRAINT legacy_conflicts_pkey PRIMARY KEY (id);
--
-- Name: legacy_repoint_values legacy_repoint_values_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_repoint_values
    ADD CONSTRAINT legacy_repoint_values_pkey PRIMARY KEY (table_schema, table_name, column_name, row_key, legacy_id);
--
-- Name: legacy_repoints legacy_repoints_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_repoints
    ADD CONSTRAINT legacy_repoints_pkey PRIMARY KEY (table_schema, table_name, column_name);
--
-- Name: legacy_rows legacy_rows_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_rows
    ADD CONSTRAINT legacy_rows_pkey PRIMARY KEY (id);
--
-- Name: legacy_user_map legacy_user_map_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_user_map
    ADD CONSTRAINT legacy_user_map_pkey PRIMARY KEY (legacy_table, legacy_id);
--
-- Name: service_types service_types_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.service_types
    ADD CONSTRAINT service_types_pkey PRIMARY KEY (service_type);
--
-- Name: sync_log_counts sync_log_counts_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.sync_log_counts
    ADD CONSTRAINT sync_log_counts_pkey PRIMARY KEY (source, success);
--
-- Name: sync_log_removed sync_log_removed_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.sync_log_removed
    ADD CONSTRAINT sync_log_removed_pkey PRIMARY KEY (id);
--
-- Name: user_count_changes user_count_changes_pkey; Type: CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.user_count_changes
    ADD CONSTRAINT user_count_changes_pkey PRIMARY KEY (id);
--
-- Name: user_service_profiles user_service_profiles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_service_profiles
    ADD CONSTRAINT user_service_profiles_pkey PRIMARY KEY (id);
--
-- Name: user_service_profiles user_service_profiles_user_id_service_type_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_service_profiles
    ADD CONSTRAINT user_service_profiles_user_id_service_type_key UNIQUE (user_id, service_type);
--
-- Name: user_sync_logs user_sync_logs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_sync_logs
    ADD CONSTRAINT user_sync_logs_pkey PRIMARY KEY (id);
--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);
--
-- Name: legacy_conflicts_user_id_idx; Type: INDEX; Schema: nura; Owner: -
--

CREATE INDEX legacy_conflicts_user_id_idx ON nura.legacy_conflicts USING btree (user_id);
--
-- Name: legacy_rows_batch_idx; Type: INDEX; Schema: nura; Owner: -
--

CREATE INDEX legacy_rows_batch_idx ON nura.legacy_rows USING btree (batch);
--
-- Name: legacy_rows_person_id_idx; Type: INDEX; Schema: nura; Owner: -
--

CREATE INDEX legacy_rows_person_id_idx ON nura.legacy_rows USING btree (person_id);
--
-- Name: legacy_user_map_user_id_idx; Type: INDEX; Schema: nura; Owner: -
--

CREATE INDEX legacy_user_map_user_id_idx ON nura.legacy_user_map USING btree (user_id);
--
-- Name: user_service_profiles_service_type_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_service_profiles_service_type_idx ON public.user_service_profiles USING btree (service_type);
--
-- Name: user_sync_logs_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_sync_logs_created_at_idx ON public.user_sync_logs USING brin (created_at);
--
-- Name: user_sync_logs_failed_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_sync_logs_failed_idx ON public.user_sync_logs USING btree (user_id, id) WHERE (NOT success);
--
-- Name: user_sync_logs_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX user_sync_logs_user_id_idx ON public.user_sync_logs USING btree (user_id, id);
--
-- Name: users_email_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_email_idx ON public.users USING btree (lower(email));
--
-- Name: users_legacy_email_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_legacy_email_idx ON public.users USING btree (lower(email)) WHERE (origin = 'legacy_migration'::text);
--
-- Name: legacy_repoint_values legacy_repoint_values_table_schema_table_name_column_name_fkey; Type: FK CONSTRAINT; Schema: nura; Owner: -
--

ALTER TABLE ONLY nura.legacy_repoint_values
    ADD CONSTRAINT legacy_repoint_values_table_schema_table_name_column_name_fkey FOREIGN KEY (table_schema, table_name, column_name) REFERENCES nura.legacy_repoints(table_schema, table_name, column_name) ON DELETE CASCADE;
--
-- Name: user_service_profiles user_service_profiles_service_type_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_service_profiles
    ADD CONSTRAINT user_service_profiles_service_type_fkey FOREIGN KEY (service_type) REFERENCES nura.service_types(service_type) ON UPDATE CASCADE;
--
-- Name: user_service_profiles user_service_profiles_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_service_profiles
    ADD CONSTRAINT user_service_profiles_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON UPDATE CASCADE ON DELETE CASCADE;
--
-- Name: user_service_profiles; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.user_service_profiles ENABLE ROW LEVEL SECURITY;
--
-- Name: user_service_profiles user_service_profiles_read_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY user_service_profiles_read_all ON public.user_service_profiles FOR SELECT TO service_role, nura_service USING (true);
--
-- Name: user_service_profiles user_service_profiles_select_own; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY user_service_profiles_select_own ON public.user_service_profiles FOR SELECT TO authenticated USING ((user_id = ( SELECT auth.uid() AS uid)));
--
-- Name: user_sync_logs; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.user_sync_logs ENABLE ROW LEVEL SECURITY;
--
-- Name: user_sync_logs user_sync_logs_read_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY user_sync_logs_read_all ON public.user_sync_logs FOR SELECT TO service_role, nura_service USING (true);
--
-- Name: users; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;
--
-- Name: users users_read_all; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY users_read_all ON public.users FOR SELECT TO service_role, nura_service USING (true);
--
-- Name: users users_select_own; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY users_select_own ON public.users FOR SELECT TO authenticated USING ((id = ( SELECT auth.uid() AS uid)));
--
-- Name: SCHEMA nura; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA nura TO nura_service;
GRANT USAGE ON SCHEMA nura TO service_role;
GRANT USAGE ON SCHEMA nura TO authenticated;
--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA public TO anon;
GRANT USAGE ON SCHEMA public TO authenticated;
GRANT USAGE ON SCHEMA public TO service_role;
GRANT CREATE ON SCHEMA public TO postgres;
--
-- Name: TABLE users; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.users TO authenticated;
GRANT SELECT ON TABLE public.users TO service_role;
GRANT SELECT ON TABLE public.users TO nura_service;
--
-- Name: PROCEDURE run_prune(IN p_older_than_days integer, IN p_batch integer); Type: ACL; Schema: nura; Owner: -
--

REVOKE ALL ON PROCEDURE nura.run_prune(IN p_older_than_days integer, IN p_batch integer) FROM PUBLIC;
--
-- Name: PROCEDURE run_reconcile(IN p_batch integer); Type: ACL; Schema: nura; Owner: -
--

REVOKE ALL ON PROCEDURE nura.run_reconcile(IN p_batch integer) FROM PUBLIC;
--
-- Name: TABLE legacy_adoptions_blocked; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.legacy_adoptions_blocked TO nura_service;
GRANT SELECT ON TABLE nura.legacy_adoptions_blocked TO service_role;
--
-- Name: TABLE legacy_conflicts; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.legacy_conflicts TO nura_service;
GRANT SELECT ON TABLE nura.legacy_conflicts TO service_role;
--
-- Name: TABLE legacy_repoints; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.legacy_repoints TO nura_service;
GRANT SELECT ON TABLE nura.legacy_repoints TO service_role;
--
-- Name: TABLE legacy_user_map; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.legacy_user_map TO nura_service;
GRANT SELECT ON TABLE nura.legacy_user_map TO service_role;
--
-- Name: TABLE service_types; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.service_types TO service_role;
GRANT SELECT ON TABLE nura.service_types TO nura_service;
GRANT SELECT ON TABLE nura.service_types TO authenticated;
--
-- Name: TABLE user_sync_logs; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.user_sync_logs TO service_role;
GRANT SELECT ON TABLE public.user_sync_logs TO nura_service;
--
-- Name: TABLE sync_metrics; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.sync_metrics TO nura_service;
GRANT SELECT ON TABLE nura.sync_metrics TO service_role;
--
-- Name: TABLE user_counts; Type: ACL; Schema: nura; Owner: -
--

GRANT SELECT ON TABLE nura.user_counts TO nura_service;
GRANT SELECT ON TABLE nura.user_counts TO service_role;
--
-- Name: TABLE user_service_profiles; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT ON TABLE public.user_service_profiles TO authenticated;
GRANT SELECT ON TABLE public.user_service_profiles TO service_role;
GRANT SELECT ON TABLE public.user_service_profiles TO nura_service;
--
-- Name: DEFAULT PRIVILEGES FOR SEQUENCES; Type: DEFAULT ACL; Schema: public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES  TO anon;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES  TO authenticated;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES  TO service_role;
--
-- Name: DEFAULT PRIVILEGES FOR FUNCTIONS; Type: DEFAULT ACL; Schema: public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS  TO anon;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS  TO authenticated;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS  TO service_role;
--
-- Name: DEFAULT PRIVILEGES FOR TABLES; Type: DEFAULT ACL; Schema: public; Owner: -
--

ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES  TO anon;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES  TO authenticated;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES  TO service_role;

--
-- PostgreSQL database dump complete
--

