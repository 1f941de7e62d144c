// @ts-check
/**
 * React bindings: `AuthProvider` keeps the backend user in step with Supabase Auth, calling
 * `/api/users/sync` once per sign-in (a token refresh, a tab regaining focus or a user update is
 * not a sign-in); `useUserProfile` reads and edits the profile, resolving a 412 by refetching.
 */
import { createContext, createElement, useCallback, useContext, useEffect, useMemo, useRef, useState } from 'react';
import { NotSignedInError, StaleError, UsersClient } from './index.js';

/** @typedef {import('./index.js').User} User */
/** @typedef {import('./index.js').ServiceProfile} ServiceProfile */
/** @typedef {import('./index.js').ProfileChanges} ProfileChanges */

/**
 * The part of a supabase-js `Session` the bindings read.
 * @typedef {object} AuthSession
 * @property {string} access_token
 * @property {{ id: string, user_metadata?: Record<string, unknown> }} user
 */

/**
 * The part of a supabase-js client the bindings use.
 * @typedef {object} SupabaseAuthLike
 * @property {{
 *   getSession(): Promise<{ data: { session: AuthSession | null } }>,
 *   onAuthStateChange(callback: (event: string, session: AuthSession | null) => void):
 *     { data: { subscription: { unsubscribe(): void } } }
 * }} auth
 */

/**
 * @typedef {object} AuthState
 * @property {AuthSession | null} session the Supabase session, null when signed out
 * @property {User | null} user the backend user, once synced for this sign-in
 * @property {boolean} loading Supabase has not told the session yet, or its user is not synced yet
 * @property {Error | null} error why the last sync failed
 * @property {UsersClient} client the API client, taking its token from the session
 */

/** @type {import('react').Context<AuthState | null>} */
const AuthContext = createContext(/** @type {AuthState | null} */ (null));

/**
 * The full name the sync may fill an empty profile with: what Supabase Auth's providers put in the
 * user's metadata (`full_name`, or `name` from Google and others), if the API would accept it.
 * @param {AuthSession['user']} user
 */
function syncFields(user) {
  const meta = user.user_metadata ?? {};
  const name = [meta.full_name, meta.name].find((v) => typeof v === 'string' && v.trim() !== '');
  return name && String(name).length <= 200 ? { id: user.id, full_name: String(name) } : { id: user.id };
}

/**
 * @param {{ supabase: SupabaseAuthLike, baseUrl?: string, client?: UsersClient,
 *           children?: import('react').ReactNode }} props
 *   `client`, or `baseUrl` to make one taking its token from `supabase`
 */
export function AuthProvider({ supabase, baseUrl, client, children }) {
  const api = useMemo(() => client ?? new UsersClient({ baseUrl: baseUrl ?? '', session: supabase }),
    [client, baseUrl, supabase]);
  const [session, setSession] = useState(/** @type {AuthSession | null | undefined} */ (undefined)); // undefined: not told yet
  const [synced, setSynced] = useState(/** @type {{ user: User, for: string } | null} */ (null));
  const [error, setError] = useState(/** @type {Error | null} */ (null));
  const [signIns, setSignIns] = useState(0);
  /** the sync under way or done: its user, and an identity telling one attempt from the next */
  const syncing = useRef(/** @type {{ userId: string } | null} */ (null));

  useEffect(() => {
    // supabase-js calls back with INITIAL_SESSION at once, then on every change. Nothing here calls
    // Supabase from inside the callback (its lock is held there): the sync runs in an effect below.
    const { data } = supabase.auth.onAuthStateChange((event, next) => {
      setSession(next);
      if (event === 'SIGNED_IN') setSignIns((n) => n + 1); // retries a sync that failed
    });
    return () => data.subscription.unsubscribe();
  }, [supabase]);

  const userId = session?.user?.id ?? null;
  const user = session?.user ?? null;
  useEffect(() => {
    // Keyed by the user id, not the event: TOKEN_REFRESHED, USER_UPDATED and the SIGNED_IN that
    // supabase-js repeats when a tab regains focus are the same sign-in and sync nothing.
    if (!userId || !user) {
      syncing.current = null;
      setSynced(null);
      setError(null);
      return;
    }
    if (syncing.current?.userId === userId) return;
    const attempt = { userId };
    syncing.current = attempt;
    setError(null);
    api.sync(syncFields(user), { userId }).then(
      ({ user: backendUser }) => {
        if (syncing.current === attempt) setSynced({ user: backendUser, for: userId });
      },
      (failure) => {
        if (syncing.current !== attempt) return; // a later sign-in's sync has taken over
        syncing.current = null; // the next sign-in event tries again
        setError(failure);
      });
    // `user` changes with every refreshed session: only a new user id, or a sign-in after a failed
    // sync, is a reason to sync
  }, [api, userId, signIns]);

  const backendUser = synced && synced.for === userId ? synced.user : null;
  const value = useMemo(() => ({
    session: session ?? null, user: backendUser, error, client: api,
    loading: session === undefined || (userId !== null && backendUser === null && error === null),
  }), [session, backendUser, userId, error, api]);
  return createElement(AuthContext.Provider, { value }, children);
}

/** The state `AuthProvider` keeps: the session, the backend user, the client. */
export function useAuth() {
  const state = useContext(AuthContext);
  if (!state) throw new Error('useAuth and useUserProfile must be used inside <AuthProvider>');
  return state;
}

/**
 * @typedef {object} UserProfileState
 * @property {User | null} profile the signed-in user's profile, null before it is read or when signed out
 * @property {Record<string, ServiceProfile> | null} serviceProfiles
 * @property {(changes: ProfileChanges) => Promise<User>} updateProfile saves changes against the
 *   profile as last read: rejects with a typed error; on a `StaleError` the profile was changed
 *   elsewhere, has been read again (`stale` is true) and the changes were not saved
 * @property {Error | null} error the last read's or update's failure
 * @property {boolean} stale an update was refused because the profile had changed; `profile` is the
 *   current one, and the next successful update clears it
 * @property {boolean} loading
 * @property {() => Promise<void>} refresh reads the profile again
 */

/**
 * What useUserProfile shows: whose, the profile, its ETag, and how many of the hook's writes had
 * answered when it was read.
 * @typedef {{ for: string | null, profile: User | null, etag: string | null,
 *             serviceProfiles: Record<string, ServiceProfile> | null, writes: number }} Shown
 */
/** @type {Shown} */
const NOTHING_SHOWN = Object.freeze({ for: null, profile: null, etag: null, serviceProfiles: null, writes: 0 });

/** @returns {UserProfileState} */
export function useUserProfile() {
  const { client, session, user: syncedUser } = useAuth();
  // read once the sign-in's sync has made sure the user exists
  const userId = syncedUser && syncedUser.id === session?.user?.id ? syncedUser.id : null;
  const [shown, setShown] = useState(NOTHING_SHOWN);
  // What is shown, kept in step at once: an update right after another (before React renders
  // again) must send the ETag the first one brought.
  const shownNow = useRef(NOTHING_SHOWN);
  const [error, setError] = useState(/** @type {Error | null} */ (null));
  const [stale, setStale] = useState(false);
  const currentUser = useRef(userId);
  useEffect(() => {
    currentUser.current = userId;
  });

  // Shows what an answer brought. A read that started before one of this hook's writes answered
  // may hold the state before that write, and does not replace it.
  const show = useCallback(/** @type {(user: User, etag: string, how: { serviceProfiles?: Record<string,
    ServiceProfile>, write?: boolean, writesBefore?: number }) => void} */ ((user, etag, how) => {
    const { serviceProfiles, write = false, writesBefore = 0 } = how;
    const prev = shownNow.current;
    const mine = prev.for === user.id;
    if (mine && !write && prev.writes > writesBefore) return;
    shownNow.current = {
      for: user.id, profile: user, etag, writes: (mine ? prev.writes : 0) + (write ? 1 : 0),
      serviceProfiles: serviceProfiles ?? (mine ? prev.serviceProfiles : null),
    };
    setShown(shownNow.current);
  }), []);

  const refresh = useCallback(async () => {
    if (!userId) return;
    const writesBefore = shownNow.current.for === userId ? shownNow.current.writes : 0;
    try {
      const { user, serviceProfiles, etag } = await client.me({ userId });
      if (currentUser.current !== userId) return;
      show(user, etag, { serviceProfiles, writesBefore });
      setError(null);
    } catch (failure) {
      if (currentUser.current === userId) setError(/** @type {Error} */ (failure));
    }
  }, [client, userId, show]);

  useEffect(() => {
    if (!userId) {
      shownNow.current = NOTHING_SHOWN;
      setShown(NOTHING_SHOWN);
    }
    setStale(false);
    setError(null);
    refresh();
  }, [refresh]);

  const updateProfile = useCallback(async (/** @type {ProfileChanges} */ changes) => {
    if (!userId) throw new NotSignedInError('no signed-in user whose profile has been read');
    const before = shownNow.current;
    // If-Match: the ETag of the profile this hook shows (none before its first read), not one
    // another component read since through the same client
    const ifMatch = before.for === userId ? before.etag : null;
    try {
      const { user, etag } = await client.updateProfile(changes, { userId, ifMatch });
      if (currentUser.current === userId) {
        show(user, etag, { write: true });
        setStale(false);
        setError(null);
      }
      return user;
    } catch (failure) {
      if (currentUser.current === userId) {
        if (failure instanceof StaleError) {
          setStale(true);
          await refresh();
        }
        setError(/** @type {Error} */ (failure));
      }
      throw failure;
    }
  }, [client, userId, refresh, show]);

  const mine = shown.for === userId && userId !== null;
  return {
    profile: mine ? shown.profile : null,
    serviceProfiles: mine ? shown.serviceProfiles : null,
    updateProfile, error, stale, loading: userId !== null && !mine && error === null, refresh,
  };
}
