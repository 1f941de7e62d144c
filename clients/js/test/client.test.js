// The client against a real `nura-users dev`: every route, the token from the session, If-Match
// from the last ETag, the retry rules and the typed errors.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createClient } from '@supabase/supabase-js';
import {
  BadRequestError, createUsersClient, ForbiddenError, NetworkError, NotFoundError, NotSignedInError,
  ServerError, StaleError, UnauthorizedError,
} from '../src/index.js';
import { API, fakeSupabase, recordingFetch, signedInUser, signIn, syncLog } from './server.js';

const FAST = { retryDelayMs: 5, maxRetryDelayMs: 2000 };

function clientFor(session, options = {}) {
  return createUsersClient({ baseUrl: API, session: () => session, ...FAST, ...options });
}

const unavailable = () => new Response(JSON.stringify({ success: false, error: 'the database is unavailable, retry shortly', code: '08006' }),
  { status: 503, headers: { 'Content-Type': 'application/json' } });

describe('routes', () => {
  test('me: the user, their service profiles and the ETag', async () => {
    const session = await signedInUser('Ada Route');
    const { user, serviceProfiles, etag } = await clientFor(session).me();
    assert.equal(user.id, session.user.id);
    assert.equal(user.full_name, 'Ada Route');
    assert.equal(user.origin, 'supabase_auth');
    assert.deepEqual(Object.keys(serviceProfiles).sort(), ['chat', 'memory', 'voice']);
    assert.match(etag, /^".+"$/);
  });

  test('updateProfile: saves the changes and returns the new ETag; an empty value clears', async () => {
    const session = await signedInUser();
    const client = clientFor(session);
    const before = await client.me();
    const { user, etag } = await client.updateProfile({ bio: 'hello', phone_number: '+14155550123', privacy_settings: { public: false } });
    assert.equal(user.bio, 'hello');
    assert.equal(user.phone_number, '+14155550123');
    assert.deepEqual(user.privacy_settings, { public: false });
    assert.notEqual(etag, before.etag);
    assert.equal(client.etagOf(session.user.id), etag);
    const cleared = await client.updateProfile({ bio: null, privacy_settings: { public: null } });
    assert.equal(cleared.user.bio, null);
    assert.deepEqual(cleared.user.privacy_settings, {});
  });

  test('sync: makes sure the user exists and only fills empty fields', async () => {
    const session = await signedInUser('Named At Signup');
    const { user } = await clientFor(session).sync({ id: session.user.id, full_name: 'Other Name', phone_number: '+14155550124' });
    assert.equal(user.full_name, 'Named At Signup');
    assert.equal(user.phone_number, '+14155550124');
  });

  test('service profiles: read, merged, a null deleting a key; an unknown type is NotFoundError', async () => {
    const session = await signedInUser();
    const client = clientFor(session);
    const chat = await client.serviceProfile('chat');
    assert.equal(chat.service_type, 'chat');
    assert.equal(chat.id, null); // never written: the type's defaults
    const written = await client.updateServicePreferences('chat', { theme: 'dark', model: 'small' });
    assert.equal(written.service_preferences.theme, 'dark');
    const merged = await client.updateServicePreferences('chat', { model: null });
    assert.equal(merged.service_preferences.theme, 'dark');
    assert.ok(!('model' in merged.service_preferences));
    assert.deepEqual((await client.serviceProfile('chat')).service_preferences, merged.service_preferences);
    await assert.rejects(client.serviceProfile('no-such-service'), (e) => e instanceof NotFoundError && e.status === 404);
  });
});

describe('the token comes from the session', () => {
  test('each call reads the session, so a new sign-in or refresh is used at once', async () => {
    const first = await signedInUser('First');
    const second = await signedInUser('Second');
    const supabase = fakeSupabase(first);
    const fetch = recordingFetch();
    const client = createUsersClient({ baseUrl: API, session: supabase, fetch });
    assert.equal((await client.me()).user.full_name, 'First');
    supabase.emit('SIGNED_IN', second);
    assert.equal((await client.me()).user.full_name, 'Second');
    const refreshed = await signIn(second.user.id);
    supabase.emit('TOKEN_REFRESHED', refreshed);
    await client.me();
    assert.deepEqual(fetch.calls.map((c) => c.headers.Authorization),
      [first, second, refreshed].map((s) => `Bearer ${s.access_token}`));
  });

  test('a real supabase-js client: the session it keeps is the one sent', async () => {
    const session = await signedInUser('Via Supabase JS');
    const stored = new Map([['nura-test-auth', JSON.stringify(session)]]);
    const supabase = createClient('http://127.0.0.1:9', 'anon-key', {
      auth: {
        storageKey: 'nura-test-auth', persistSession: true, autoRefreshToken: false, detectSessionInUrl: false,
        storage: { getItem: (k) => stored.get(k) ?? null, setItem: (k, v) => stored.set(k, v), removeItem: (k) => stored.delete(k) },
      },
    });
    const { user } = await createUsersClient({ baseUrl: API, session: supabase }).me();
    assert.equal(user.full_name, 'Via Supabase JS');
  });

  test('a call is for one user: when the session changes to another between retries, nothing is sent for them', async () => {
    const ada = await signedInUser('Ada Pinned');
    const bob = await signedInUser('Bob Pinned');
    let session = ada;
    const fetch = recordingFetch(() => {
      session = bob; // another tab signs in as Bob while Ada's update waits to be retried
      return unavailable();
    });
    const client = createUsersClient({ baseUrl: API, session: () => session, fetch, ...FAST });
    await assert.rejects(client.updateProfile({ bio: "Ada's bio" }), NotSignedInError);
    assert.equal(fetch.calls.length, 1);
    assert.equal((await clientFor(bob).me()).user.bio, null);
    await assert.rejects(client.me({ userId: ada.user.id }), NotSignedInError); // named, and not the session's
    assert.equal(fetch.calls.length, 1);
  });

  test('a session without a user object: the user is the token\'s sub', async () => {
    const full = await signedInUser('Token Only');
    const session = { access_token: full.access_token };
    const client = createUsersClient({ baseUrl: API, session: () => session, ...FAST });
    assert.equal((await client.me({ userId: full.user.id })).user.full_name, 'Token Only');
    await clientFor(full).updateProfile({ bio: 'elsewhere' }, { ifMatch: null });
    await assert.rejects(client.updateProfile({ bio: 'mine' }), StaleError); // If-Match was sent
  });

  test('no session: NotSignedInError, and no request is made', async () => {
    const fetch = recordingFetch();
    const client = createUsersClient({ baseUrl: API, session: fakeSupabase(null), fetch });
    await assert.rejects(client.me(), NotSignedInError);
    assert.equal(fetch.calls.length, 0);
  });
});

describe('If-Match from the last ETag', () => {
  test('a change made elsewhere since the last read gives StaleError; after a read the update goes through', async () => {
    const session = await signedInUser();
    const mine = clientFor(session);
    const theirs = clientFor(session);
    await mine.me();
    await theirs.me();
    await theirs.updateProfile({ bio: 'theirs' });
    await assert.rejects(mine.updateProfile({ bio: 'mine' }), (e) =>
      e instanceof StaleError && e.status === 412 && e.code === 'PT412');
    assert.equal((await mine.me()).user.bio, 'theirs'); // nothing overwritten
    assert.equal((await mine.updateProfile({ bio: 'mine' })).user.bio, 'mine');
  });

  test('the If-Match sent is the ETag of the last answer; ifMatch: null sends none (the last write wins)', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch();
    const client = clientFor(session, { fetch });
    const { etag } = await client.me();
    const { etag: next } = await client.updateProfile({ bio: 'one' });
    await client.updateProfile({ bio: 'two' });
    await clientFor(session).updateProfile({ bio: 'elsewhere' }, { ifMatch: null });
    assert.equal((await client.updateProfile({ bio: 'three' }, { ifMatch: null })).user.bio, 'three');
    const sent = fetch.calls.filter((c) => c.method === 'PUT').map((c) => c.headers['If-Match']);
    assert.deepEqual(sent.slice(0, 2), [etag, next]);
    assert.equal(sent[3], undefined);
  });

  test('answers arriving out of order never take the ETag back to an older profile', async () => {
    const session = await signedInUser();
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let heldEtag;
    const fetch = recordingFetch(async (call, n, input, init) => {
      if (call.method === 'GET' && n === 2) {
        const answer = await globalThis.fetch(input, init); // read before the update below...
        heldEtag = answer.headers.get('ETag');
        await held; // ...but answered after it
        return answer;
      }
    });
    const client = clientFor(session, { fetch });
    await client.me();
    const slowRead = client.me();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const { etag } = await client.updateProfile({ bio: 'newer' }, { ifMatch: null });
    release();
    assert.notEqual((await slowRead).etag, etag); // it did read the profile before the update
    assert.equal(heldEtag, (await slowRead).etag);
    assert.equal(client.etagOf(session.user.id), etag);
    assert.equal((await client.updateProfile({ bio: 'newest' })).user.bio, 'newest'); // no false 412
  });

  test('an update before any read sends no If-Match', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch();
    await clientFor(session, { fetch }).updateProfile({ display_name: 'first write' });
    assert.equal(fetch.calls[0].headers['If-Match'], undefined);
  });
});

describe('retries', () => {
  test('a network failure is retried, with one X-Request-ID for every attempt', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch((call, n) => {
      if (n === 1) throw new TypeError('fetch failed');
    });
    const { user } = await clientFor(session, { fetch }).updateProfile({ bio: 'after a network failure' });
    assert.equal(user.bio, 'after a network failure');
    assert.equal(fetch.calls.length, 2);
    assert.equal(fetch.calls[0].headers['X-Request-ID'], fetch.calls[1].headers['X-Request-ID']);
    const rows = (await syncLog(session.user.id)).filter((r) => r.request_id === fetch.calls[0].headers['X-Request-ID']);
    assert.equal(rows.length, 1);
  });

  test('5xx is retried, waiting at least Retry-After', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch((call, n) => {
      if (n <= 2) {
        const answer = unavailable();
        answer.headers.set('Retry-After', '1');
        return answer;
      }
    });
    const started = Date.now();
    assert.equal((await clientFor(session, { fetch }).me()).user.id, session.user.id);
    assert.equal(fetch.calls.length, 3);
    assert.ok(Date.now() - started >= 2000, 'two waits of Retry-After: 1');
  });

  test('a Retry-After longer than maxRetryDelayMs ends the retries, in seconds or as an HTTP-date', async () => {
    const session = await signedInUser();
    for (const value of ['120', new Date(Date.now() + 120_000).toUTCString()]) {
      const fetch = recordingFetch(() => {
        const answer = unavailable();
        answer.headers.set('Retry-After', value);
        return answer;
      });
      await assert.rejects(clientFor(session, { fetch }).me(), ServerError, value);
      assert.equal(fetch.calls.length, 1, value);
    }
    const past = recordingFetch((call, n) => {
      if (n === 1) {
        const answer = unavailable();
        answer.headers.set('Retry-After', new Date(Date.now() - 60_000).toUTCString());
        return answer;
      }
    });
    assert.equal((await clientFor(session, { fetch: past }).me()).user.id, session.user.id);
    assert.equal(past.calls.length, 2);
  });

  test('after the last retry: ServerError for 5xx, NetworkError with the cause for no answer', async () => {
    const session = await signedInUser();
    const down = recordingFetch(unavailable);
    await assert.rejects(clientFor(session, { fetch: down, retries: 2 }).me(), (e) =>
      e instanceof ServerError && e.status === 503 && e.code === '08006' && e.retried);
    assert.equal(down.calls.length, 3);
    const cut = recordingFetch(() => { throw new TypeError('fetch failed'); });
    await assert.rejects(clientFor(session, { fetch: cut, retries: 2 }).me(), (e) =>
      e instanceof NetworkError && e.cause instanceof TypeError);
    assert.equal(cut.calls.length, 3);
  });

  test('an attempt that takes longer than timeoutMs counts as a network failure', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch((call, n, input, init) => n === 1
      ? new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)))
      : undefined);
    assert.equal((await clientFor(session, { fetch, timeoutMs: 200 }).me()).user.id, session.user.id);
    assert.equal(fetch.calls.length, 2);
  });

  test('a 4xx is never retried', async () => {
    const session = await signedInUser();
    for (const [call, Kind, code] of [
      [(c) => c.updateProfile({ phone_number: 'not a phone' }), BadRequestError, 'PT400'],
      [(c) => c.updateProfile({ nickname: 'x' }), BadRequestError, 'PT400'],
      [(c) => c.sync({ id: '00000000-0000-0000-0000-000000000000' }), ForbiddenError, 'PT403'],
      [(c) => c.serviceProfile('nope'), NotFoundError, 'PT404'],
    ]) {
      const fetch = recordingFetch();
      await assert.rejects(call(clientFor(session, { fetch })), (e) => e instanceof Kind && e.code === code && !e.retried);
      assert.equal(fetch.calls.length, 1);
    }
    const fetch = recordingFetch();
    await assert.rejects(clientFor({ ...session, access_token: 'not-a-token' }, { fetch }).me(), (e) =>
      e instanceof UnauthorizedError && e.code === 'invalid_token');
    assert.equal(fetch.calls.length, 1);
  });

  test('a conditional update whose answer was lost: the retry sees 412, finds its change saved, succeeds', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch(async (call, n, input, init) => {
      if (call.method === 'PUT' && n === 2) {
        await globalThis.fetch(input, init); // the server commits...
        throw new TypeError('fetch failed'); // ...and the answer never arrives
      }
    });
    const client = clientFor(session, { fetch });
    await client.me();
    const { user, etag } = await client.updateProfile({ bio: 'saved once', privacy_settings: { a: 1 } });
    assert.equal(user.bio, 'saved once');
    assert.equal(client.etagOf(session.user.id), etag);
    assert.deepEqual(fetch.calls.map((c) => c.method), ['GET', 'PUT', 'PUT', 'GET']);
    const updates = (await syncLog(session.user.id)).filter((r) => r.sync_type === 'profile_update');
    assert.equal(updates.length, 1);
  });

  test('the same, but the change was overwritten in between: StaleError, nothing lost', async () => {
    const session = await signedInUser();
    const fetch = recordingFetch(async (call, n, input, init) => {
      if (call.method === 'PUT' && n === 2) {
        await globalThis.fetch(input, init);
        await clientFor(session).updateProfile({ bio: 'someone else' }, { ifMatch: null });
        throw new TypeError('fetch failed');
      }
    });
    const client = clientFor(session, { fetch });
    await client.me();
    await assert.rejects(client.updateProfile({ bio: 'mine' }), StaleError);
    assert.equal((await client.me()).user.bio, 'someone else');
  });

  test('a call aborted while the session is read sends nothing', async () => {
    const session = await signedInUser();
    const controller = new AbortController();
    const fetch = recordingFetch();
    const client = createUsersClient({ baseUrl: API, fetch, session: () => {
      controller.abort(new Error('left the page'));
      return session;
    } });
    await assert.rejects(client.me({ signal: controller.signal }), /left the page/);
    assert.equal(fetch.calls.length, 0);
  });

  test('an aborted call stops retrying', async () => {
    const session = await signedInUser();
    const controller = new AbortController();
    const fetch = recordingFetch(() => {
      controller.abort(new Error('gave up'));
      return unavailable();
    });
    await assert.rejects(clientFor(session, { fetch, retryDelayMs: 1000 }).me({ signal: controller.signal }), /gave up/);
    assert.equal(fetch.calls.length, 1);
  });
});
