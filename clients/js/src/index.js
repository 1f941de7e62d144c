// @ts-check
/**
 * The nura-users HTTP API for the signed-in user: every `/api/users/...` route, with the access
 * token taken from a supabase-js session at each call, `If-Match` from the last `ETag`, retries of
 * network failures and 5xx (never of a 4xx), and the contract's error codes as typed errors.
 * No dependency beyond `fetch`.
 */

/**
 * A row of `public.users`, as the API returns it.
 * @typedef {object} User
 * @property {string} id
 * @property {string | null} email
 * @property {string | null} phone_number
 * @property {string | null} full_name
 * @property {string | null} display_name
 * @property {string | null} bio
 * @property {string | null} avatar_url
 * @property {string | null} email_confirmed_at
 * @property {string | null} phone_confirmed_at
 * @property {string | null} last_sign_in_at
 * @property {boolean} is_active
 * @property {number} current_streak
 * @property {number} xp
 * @property {Record<string, unknown>} privacy_settings
 * @property {string} created_at
 * @property {string} updated_at
 * @property {string | null} last_active_at
 * @property {string | null} deleted_at
 * @property {'supabase_auth' | 'supabase_webhook' | 'legacy_migration' | 'backend_api'} origin
 */

/**
 * A user's profile for one service (`chat`, `voice`, `memory`, ...). Never written yet, it is the
 * type's defaults with `id`, `created_at` and `updated_at` null.
 * @typedef {object} ServiceProfile
 * @property {string | null} id
 * @property {string} user_id
 * @property {string} service_type
 * @property {Record<string, unknown>} service_preferences
 * @property {Record<string, unknown>} service_metadata
 * @property {Record<string, unknown>} usage_stats
 * @property {boolean} onboarding_completed
 * @property {string | null} created_at
 * @property {string | null} updated_at
 * @property {string | null} last_used_at
 */

/**
 * What `PUT /api/users/profile` accepts: `null` clears a field; `privacy_settings` is merged,
 * a `null` value deleting its key. Names up to 200 characters, bio 2000, avatar_url an http(s)
 * URL, phone_number E.164 (`+` and 8 to 15 digits).
 * @typedef {object} ProfileChanges
 * @property {string | null} [full_name]
 * @property {string | null} [display_name]
 * @property {string | null} [bio]
 * @property {string | null} [avatar_url]
 * @property {string | null} [phone_number]
 * @property {Record<string, unknown> | null} [privacy_settings]
 */

/**
 * What `POST /api/users/sync` accepts: `id` must be the signed-in user's; `full_name` and
 * `phone_number` only fill empty fields; `email` and `user_metadata` are ignored by the server.
 * @typedef {object} SyncFields
 * @property {string} [id]
 * @property {string | null} [email]
 * @property {string | null} [full_name]
 * @property {string | null} [phone_number]
 * @property {Record<string, unknown> | null} [user_metadata]
 */

/**
 * The part of a supabase-js `Session` the client reads.
 * @typedef {object} SessionLike
 * @property {string} access_token
 * @property {{ id: string }} [user]
 */

/**
 * The part of a supabase-js client the client reads: `supabase.auth.getSession()`.
 * @typedef {object} SupabaseLike
 * @property {{ getSession(): Promise<{ data: { session: SessionLike | null } }> }} auth
 */

/**
 * Where the access token comes from at each call: a supabase-js client (its `auth.getSession()`,
 * which refreshes an expiring token), or a function returning the current session.
 * @typedef {SupabaseLike | (() => SessionLike | null | undefined | Promise<SessionLike | null | undefined>)} SessionSource
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} baseUrl where the API is served, e.g. `https://api.example.com`; `''` for the page's own origin
 * @property {SessionSource} session
 * @property {typeof fetch} [fetch] defaults to the global `fetch`
 * @property {number} [retries] further attempts after a network failure or a 5xx (default 3)
 * @property {number} [retryDelayMs] the first backoff's ceiling, doubled at each retry (default 250)
 * @property {number} [maxRetryDelayMs] the longest wait before a retry (default 4000); a longer `Retry-After` ends the retries
 * @property {number} [timeoutMs] how long one attempt may take before it counts as a network failure (default 10000)
 * @property {string} [sessionId] sent as `X-Session-ID`, logged with every change the calls make
 */

/**
 * @typedef {object} CallOptions
 * @property {AbortSignal} [signal] aborts the call, its retries and their waits
 * @property {string} [userId] the user the call is for: when the session is someone else's, the
 *   call fails with `NotSignedInError` and sends nothing. Without it, the call is for the user
 *   of its first attempt's session, and its retries are never sent with another user's token.
 */

/**
 * The contract's error codes: a SQLSTATE for errors the database raised (`PT400` ... `PT412`,
 * `08006` when it is unreachable, ...), else one of these words.
 * @typedef {'invalid_token' | 'forbidden' | 'not_found' | 'stale' | 'invalid_body' | 'too_large'
 *   | 'unsupported_media_type' | 'PT400' | 'PT401' | 'PT403' | 'PT404' | 'PT412' | (string & {})} ErrorCode
 */

/** Every error this client throws. */
export class NuraError extends Error {
  /** @param {string} message @param {ErrorOptions} [options] */
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** There is no signed-in session to take an access token from; no request was made. */
export class NotSignedInError extends NuraError {}

/** No answer: the network failed, or every attempt timed out. `cause` is the last failure. */
export class NetworkError extends NuraError {}

/** The API answered with an error: `status`, the contract's `code`, and its message. */
export class ApiError extends NuraError {
  /**
   * @param {number} status
   * @param {ErrorCode} code
   * @param {string} message
   * @param {{ detail?: string | null, hint?: string | null, requestId?: string }} [extra]
   */
  constructor(status, code, message, extra = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.detail = extra.detail ?? null;
    this.hint = extra.hint ?? null;
    /** the `X-Request-ID` the call was sent with, as the sync log records it */
    this.requestId = extra.requestId;
    /** an earlier attempt of the same call failed (no answer, or 5xx) before this answer */
    this.retried = false;
  }
}

/** 400: a bad body or field (`invalid_body`, `PT400`, or a value the database refused). */
export class BadRequestError extends ApiError {}
/** 401: no valid access token (`invalid_token`, `PT401`). */
export class UnauthorizedError extends ApiError {}
/** 403: acting for another user (`forbidden`, `PT403`). */
export class ForbiddenError extends ApiError {}
/** 404: the user is not synced yet or was deleted, or no such service (`not_found`, `PT404`). */
export class NotFoundError extends ApiError {}
/** 412: `If-Match` named an ETag the profile no longer has; refetch before changing it again. */
export class StaleError extends ApiError {}
/** 413: the body is over 64 KiB. */
export class PayloadTooLargeError extends ApiError {}
/** 415: the body is not JSON. */
export class UnsupportedMediaTypeError extends ApiError {}
/** 5xx after every retry: the API or its database is unavailable. */
export class ServerError extends ApiError {}

/** @type {Record<number, typeof ApiError>} */
const ERROR_BY_STATUS = {
  400: BadRequestError, 401: UnauthorizedError, 403: ForbiddenError, 404: NotFoundError,
  412: StaleError, 413: PayloadTooLargeError, 415: UnsupportedMediaTypeError,
};

/**
 * @param {ClientOptions} options
 */
export function createUsersClient(options) {
  return new UsersClient(options);
}

export class UsersClient {
  /** @param {ClientOptions} options */
  constructor(options) {
    if (typeof options?.baseUrl !== 'string') throw new TypeError('baseUrl must be a string');
    if (!options.session) throw new TypeError('session must be a supabase-js client or a function returning the session');
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.session = options.session;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    if (typeof fetchImpl !== 'function') throw new TypeError('no fetch: pass options.fetch');
    /** @type {typeof fetch} */
    this.fetch = (input, init) => fetchImpl(input, init); // unbound window.fetch throws "Illegal invocation"
    this.retries = options.retries ?? 3;
    this.retryDelayMs = options.retryDelayMs ?? 250;
    this.maxRetryDelayMs = options.maxRetryDelayMs ?? 4000;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.sessionId = options.sessionId;
    /** per user id: the ETag `updateProfile` sends as `If-Match`, and how many writes had answered when it was read */
    /** @type {Map<string, { etag: string, writes: number }>} */
    this.etags = new Map();
    /** per user id: how many writes (PUT, POST) have answered */
    /** @type {Map<string, number>} */
    this.writes = new Map();
  }

  /**
   * `GET /api/users/me`: the signed-in user, their service profiles, and the profile's ETag.
   * @param {CallOptions} [options]
   * @returns {Promise<{ user: User, serviceProfiles: Record<string, ServiceProfile>, etag: string }>}
   */
  async me(options) {
    const { body, etag } = await this.#call('GET', '/api/users/me', undefined, options);
    return { user: body.user, serviceProfiles: body.service_profiles, etag };
  }

  /**
   * `PUT /api/users/profile`. Sends `If-Match` with the last ETag this client saw for the user
   * (from `me`, `sync` or an earlier update), so a change made elsewhere since then gives a
   * `StaleError` instead of being overwritten; `ifMatch` names another ETag, `null` sends none
   * (the last write wins).
   * @param {ProfileChanges} changes
   * @param {CallOptions & { ifMatch?: string | null }} [options]
   * @returns {Promise<{ user: User, etag: string }>}
   */
  async updateProfile(changes, options = {}) {
    const { ifMatch, ...rest } = options;
    // the user is fixed first: the 412 check below must read the same user's profile
    const callOptions = { ...rest, userId: rest.userId ?? userIdOf(await this.#currentSession()) };
    /** @type {(userId: string | undefined) => string | undefined} */
    const precondition = (userId) => ifMatch === undefined ? (userId && this.etagOf(userId)) : (ifMatch ?? undefined);
    try {
      const { body, etag } = await this.#call('PUT', '/api/users/profile', changes, callOptions, precondition);
      return { user: body.user, etag };
    } catch (error) {
      // A retried conditional write answered 412 may be our own first attempt, committed with its
      // answer lost: it is done if the profile now holds every change.
      if (error instanceof StaleError && error.retried) {
        const now = await this.me(callOptions);
        if (holdsChanges(now.user, changes)) return { user: now.user, etag: now.etag };
      }
      throw error;
    }
  }

  /**
   * `POST /api/users/sync`: makes sure the signed-in user exists and returns them; `full_name`
   * and `phone_number` only fill fields that are empty.
   * @param {SyncFields} [fields]
   * @param {CallOptions} [options]
   * @returns {Promise<{ user: User, etag: string }>}
   */
  async sync(fields = {}, options) {
    const { body, etag } = await this.#call('POST', '/api/users/sync', fields, options);
    return { user: body.user, etag };
  }

  /**
   * `GET /api/users/services/<type>`: the user's profile for one service.
   * @param {string} serviceType
   * @param {CallOptions} [options]
   * @returns {Promise<ServiceProfile>}
   */
  async serviceProfile(serviceType, options) {
    const { body } = await this.#call('GET', `/api/users/services/${encodeURIComponent(serviceType)}`, undefined, options);
    return body.profile;
  }

  /**
   * `PUT /api/users/services/<type>`: merges `preferences` into the service's preferences, a
   * `null` value deleting its key.
   * @param {string} serviceType
   * @param {Record<string, unknown>} preferences
   * @param {CallOptions} [options]
   * @returns {Promise<ServiceProfile>}
   */
  async updateServicePreferences(serviceType, preferences, options) {
    const { body } = await this.#call('PUT', `/api/users/services/${encodeURIComponent(serviceType)}`,
      { service_preferences: preferences }, options);
    return body.profile;
  }

  /**
   * The last ETag this client saw for a user's profile.
   * @param {string} userId
   */
  etagOf(userId) {
    return this.etags.get(userId)?.etag;
  }

  /**
   * Keeps the ETag an answer brought. Answers to calls made side by side arrive in any order: a
   * write's answer is the state it made, but a read that started before a write answered may hold
   * the state before it, so such a read does not replace the write's ETag. (Were it kept anyway,
   * the next update would get a 412 and a fresh read: nothing is lost either way.)
   * @param {string} userId
   * @param {string} etag
   * @param {boolean} write
   * @param {number} writesBefore how many writes had answered when the call started
   */
  #remember(userId, etag, write, writesBefore) {
    const writes = (this.writes.get(userId) ?? 0) + (write ? 1 : 0);
    this.writes.set(userId, writes);
    const known = this.etags.get(userId);
    if (write || !known || known.writes <= writesBefore) this.etags.set(userId, { etag, writes });
  }

  /** @returns {Promise<SessionLike>} */
  async #currentSession() {
    const source = this.session;
    const session = typeof source === 'function' ? await source() : (await source.auth.getSession()).data.session;
    if (!session?.access_token) throw new NotSignedInError('no signed-in session: sign in with Supabase Auth first');
    return session;
  }

  /**
   * One call: a fresh token per attempt (a refreshed session is picked up between retries), one
   * X-Request-ID for all its attempts, retries of network failures and 5xx only.
   * @param {string} method
   * @param {string} path
   * @param {unknown} body
   * @param {CallOptions} [options]
   * @param {(userId: string | undefined) => string | undefined} [ifMatch]
   * @returns {Promise<{ body: any, etag: string }>}
   */
  async #call(method, path, body, options = {}, ifMatch) {
    const requestId = randomId();
    const signal = options.signal;
    let forUser = options.userId;
    let writesBefore = 0;
    for (let attempt = 0; ; attempt++) {
      signal?.throwIfAborted();
      const session = await this.#currentSession();
      signal?.throwIfAborted();
      const userId = userIdOf(session);
      forUser ??= userId;
      if (attempt === 0 && userId) writesBefore = this.writes.get(userId) ?? 0;
      if (forUser && userId !== forUser) {
        throw new NotSignedInError(`the session is no longer ${forUser}'s (signed out, or another user signed in): nothing was sent for them`);
      }
      /** @type {Record<string, string>} */
      const headers = { Accept: 'application/json', Authorization: `Bearer ${session.access_token}`, 'X-Request-ID': requestId };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (this.sessionId) headers['X-Session-ID'] = this.sessionId;
      const precondition = ifMatch?.(userId);
      if (precondition) headers['If-Match'] = precondition;
      const thisAttempt = attemptSignal(signal, this.timeoutMs);
      /** @type {Response} */
      let response;
      let payload;
      try {
        response = await this.fetch(this.baseUrl + path, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body),
          signal: thisAttempt.signal, cache: 'no-store',
        });
        payload = await readJson(response);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const failure = new NetworkError(`${method} ${path}: no answer after ${attempt + 1} attempt(s)`, { cause: error });
        await this.#beforeRetry(attempt, failure, null, signal);
        continue;
      } finally {
        thisAttempt.done();
      }
      if (response.ok) {
        const etag = response.headers.get('ETag') ?? '';
        const user = payload?.user;
        if (etag && user?.id) this.#remember(user.id, etag, method !== 'GET', writesBefore);
        return { body: payload, etag };
      }
      const error = apiError(response.status, payload, requestId);
      error.retried = attempt > 0;
      if (response.status < 500) throw error;
      await this.#beforeRetry(attempt, error, response, signal);
    }
  }

  /**
   * Waits before the next attempt, or throws `failure` when no attempt is left.
   * @param {number} attempt
   * @param {Error} failure
   * @param {Response | null} response
   * @param {AbortSignal} [signal]
   */
  async #beforeRetry(attempt, failure, response, signal) {
    if (attempt >= this.retries) throw failure;
    const retryAfterMs = retryAfter(response?.headers.get('Retry-After'));
    // full jitter: anywhere up to the doubled ceiling, so clients that failed together spread out
    let delay = Math.random() * Math.min(this.maxRetryDelayMs, this.retryDelayMs * 2 ** attempt);
    if (retryAfterMs > 0) {
      if (retryAfterMs > this.maxRetryDelayMs) throw failure;
      delay += retryAfterMs;
    }
    await sleep(Math.min(delay, this.maxRetryDelayMs), signal);
  }
}

/**
 * @param {number} status
 * @param {any} payload
 * @param {string} requestId
 */
function apiError(status, payload, requestId) {
  const Kind = ERROR_BY_STATUS[status] ?? (status >= 500 ? ServerError : ApiError);
  const code = typeof payload?.code === 'string' ? payload.code : String(status);
  const message = typeof payload?.error === 'string' ? payload.error : `the API answered ${status}`;
  return new Kind(status, code, message, { detail: payload?.detail, hint: payload?.hint, requestId });
}

/**
 * The session's user id: its user object's, else its access token's `sub` claim.
 * @param {SessionLike} session
 * @returns {string | undefined}
 */
function userIdOf(session) {
  if (session.user?.id) return session.user.id;
  try {
    const payload = session.access_token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const sub = JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, '='))).sub;
    return typeof sub === 'string' ? sub : undefined;
  } catch {
    return undefined; // not a JWT: the API will say so (401)
  }
}

/**
 * `Retry-After` in milliseconds: delay-seconds or an HTTP-date; 0 when absent or unreadable.
 * @param {string | null | undefined} value
 */
function retryAfter(value) {
  if (!value) return 0;
  const ms = /^\s*\d+\s*$/.test(value) ? Number(value) * 1000 : Date.parse(value) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}

/** @param {Response} response */
async function readJson(response) {
  const text = await response.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return null; // a proxy's HTML error page: the status still says what happened
  }
}

/**
 * Whether `user` holds every change in `changes` (privacy_settings merged, null deleting a key).
 * @param {User} user
 * @param {ProfileChanges} changes
 */
function holdsChanges(user, changes) {
  return Object.entries(changes).every(([field, value]) => {
    if (field !== 'privacy_settings') return sameJson(user[/** @type {keyof User} */ (field)], value);
    if (value === null) return Object.keys(user.privacy_settings).length === 0;
    return Object.entries(value ?? {}).every(([key, setting]) =>
      setting === null ? !(key in user.privacy_settings) : sameJson(user.privacy_settings[key], setting));
  });
}

/** @param {unknown} a @param {unknown} b */
function sameJson(a, b) {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

/** @param {unknown} value @returns {unknown} */
function canonical(value) {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(/** @type {any} */ (value)[k])]));
  }
  return value ?? null;
}

/**
 * One attempt's signal: aborted by the caller's, or after timeoutMs. `done()` clears the timer,
 * which would otherwise keep a Node process alive that long after the call.
 * @param {AbortSignal | undefined} signal
 * @param {number} timeoutMs
 */
function attemptSignal(signal, timeoutMs) {
  const controller = new AbortController();
  if (signal?.aborted) controller.abort(signal.reason);
  const abort = () => controller.abort(signal?.reason);
  const timer = setTimeout(() => controller.abort(new DOMException(`no answer in ${timeoutMs} ms`, 'TimeoutError')), timeoutMs);
  signal?.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', abort);
    },
  };
}

/**
 * @param {number} ms
 * @param {AbortSignal} [signal]
 * @returns {Promise<void>}
 */
function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener('abort', aborted);
      resolve();
    }
    function aborted() {
      clearTimeout(timer);
      reject(signal?.reason);
    }
    signal?.addEventListener('abort', aborted, { once: true });
  });
}

function randomId() {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  // pages served over plain http from another host are not a secure context: no randomUUID there
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}
