// AuthProvider and useUserProfile in a DOM (jsdom), against a real `nura-users dev`, with Supabase
// Auth's events played by a fake supabase-js client.
import './dom.js';
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { act, cleanup, renderHook, waitFor } from '@testing-library/react';
import { createElement, StrictMode } from 'react';
import { createUsersClient, StaleError, UnauthorizedError } from '../src/index.js';
import { AuthProvider, useAuth, useUserProfile } from '../src/react.js';
import { API, fakeSupabase, recordingFetch, signedInUser, signIn } from './server.js';

afterEach(cleanup);

function mount(hook, supabase, { strict = false, plan } = {}) {
  const fetch = recordingFetch(plan);
  const client = createUsersClient({ baseUrl: API, session: supabase, fetch, retryDelayMs: 5 });
  const wrapper = ({ children }) => {
    const provider = createElement(AuthProvider, { supabase, client }, children);
    return strict ? createElement(StrictMode, null, provider) : provider;
  };
  const rendered = renderHook(hook, { wrapper });
  const syncs = () => fetch.calls.filter((c) => c.method === 'POST' && c.path === '/api/users/sync').length;
  return { ...rendered, fetch, syncs, client };
}

/** Lets whatever an event set off run: nothing more is expected to happen after this. */
async function settle() {
  await act(() => new Promise((resolve) => setTimeout(resolve, 150)));
}

describe('AuthProvider', () => {
  test('syncs once per sign-in: not on token refresh, a repeated SIGNED_IN or a user update', async () => {
    const ada = await signedInUser('Ada Provider');
    const bob = await signedInUser('Bob Provider');
    const supabase = fakeSupabase(ada);
    const { result, syncs } = mount(useAuth, supabase);
    await waitFor(() => assert.equal(result.current.user?.full_name, 'Ada Provider'));
    assert.equal(syncs(), 1);

    const refreshed = await signIn(ada.user.id);
    for (const event of ['TOKEN_REFRESHED', 'SIGNED_IN', 'USER_UPDATED']) {
      act(() => supabase.emit(event, refreshed));
      await settle();
    }
    assert.equal(syncs(), 1);
    assert.equal(result.current.session.access_token, refreshed.access_token);

    act(() => supabase.emit('SIGNED_OUT', null));
    await waitFor(() => assert.equal(result.current.user, null));
    act(() => supabase.emit('SIGNED_IN', ada));
    await waitFor(() => assert.equal(result.current.user?.id, ada.user.id));
    assert.equal(syncs(), 2);

    act(() => supabase.emit('SIGNED_IN', bob));
    await waitFor(() => assert.equal(result.current.user?.full_name, 'Bob Provider'));
    assert.equal(syncs(), 3);
  });

  test('under StrictMode, which runs effects twice, still one sync', async () => {
    const session = await signedInUser('Strict');
    const { result, syncs } = mount(useAuth, fakeSupabase(session), { strict: true });
    await waitFor(() => assert.equal(result.current.user?.full_name, 'Strict'));
    await settle();
    assert.equal(syncs(), 1);
  });

  test('a failed sync is the error, and the next sign-in tries again', async () => {
    const session = await signedInUser('Retry Later');
    const supabase = fakeSupabase({ ...session, access_token: 'expired-or-forged' });
    const { result, syncs } = mount(useAuth, supabase);
    await waitFor(() => assert.ok(result.current.error instanceof UnauthorizedError));
    assert.equal(result.current.user, null);
    assert.equal(result.current.loading, false);
    act(() => supabase.emit('SIGNED_IN', session));
    await waitFor(() => assert.equal(result.current.user?.full_name, 'Retry Later'));
    assert.equal(result.current.error, null);
    assert.equal(syncs(), 2);
  });

  test("a sync that fails late does not undo a later sign-in's sync", async () => {
    const ada = await signedInUser('Ada Late');
    const supabase = fakeSupabase(ada);
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let syncCalls = 0;
    const { result, syncs } = mount(useAuth, supabase, {
      plan: async (call) => {
        if (call.path === '/api/users/sync' && ++syncCalls === 1) { // the first sync: held, then refused
          await held;
          return new Response(JSON.stringify({ success: false, error: 'refused', code: 'invalid_body' }), { status: 400 });
        }
      },
    });
    await settle();
    act(() => supabase.emit('SIGNED_OUT', null));
    act(() => supabase.emit('SIGNED_IN', ada));
    await waitFor(() => assert.equal(result.current.user?.full_name, 'Ada Late'));
    release();
    await settle();
    assert.equal(result.current.user?.full_name, 'Ada Late');
    assert.equal(result.current.error, null);
    assert.equal(syncs(), 2);
  });

  test('loading until Supabase has told the session; a sign-out clears the error', async () => {
    const session = await signedInUser('Loading');
    const supabase = fakeSupabase({ ...session, access_token: 'forged' });
    const { result } = mount(useAuth, supabase);
    assert.equal(result.current.loading, true); // INITIAL_SESSION not delivered yet
    await waitFor(() => assert.ok(result.current.error));
    act(() => supabase.emit('SIGNED_OUT', null));
    await waitFor(() => assert.equal(result.current.error, null));
    assert.equal(result.current.loading, false);
  });
});

describe('useUserProfile', () => {
  test('reads the profile once synced, and updates it', async () => {
    const session = await signedInUser('Profile Reader');
    const { result } = mount(useUserProfile, fakeSupabase(session));
    await waitFor(() => assert.equal(result.current.profile?.full_name, 'Profile Reader'));
    assert.equal(result.current.serviceProfiles.chat.service_type, 'chat');
    let saved;
    await act(async () => { saved = await result.current.updateProfile({ display_name: 'PR' }); });
    assert.equal(saved.display_name, 'PR');
    assert.equal(result.current.profile.display_name, 'PR');
    assert.equal(result.current.stale, false);
    assert.equal(result.current.error, null);
  });

  test('a 412 refetches: stale is set, the profile is the current one, and the next update goes through', async () => {
    const session = await signedInUser('Before');
    const { result } = mount(useUserProfile, fakeSupabase(session));
    await waitFor(() => assert.equal(result.current.profile?.full_name, 'Before'));

    await createUsersClient({ baseUrl: API, session: () => session }).updateProfile({ bio: 'changed in another tab' });
    await act(async () => {
      await assert.rejects(result.current.updateProfile({ bio: 'mine' }), StaleError);
    });
    assert.equal(result.current.stale, true);
    assert.ok(result.current.error instanceof StaleError);
    assert.equal(result.current.profile.bio, 'changed in another tab');

    await act(async () => { await result.current.updateProfile({ bio: 'mine, having seen theirs' }); });
    assert.equal(result.current.profile.bio, 'mine, having seen theirs');
    assert.equal(result.current.stale, false);
    assert.equal(result.current.error, null);
  });

  test('a read answered after an update never shows the older profile, nor takes back its ETag', async () => {
    const session = await signedInUser('Out Of Order');
    let release;
    const held = new Promise((resolve) => { release = resolve; });
    let reads = 0;
    let heldEtag;
    const { result } = mount(useUserProfile, fakeSupabase(session), {
      plan: async (call, n, input, init) => {
        if (call.method === 'GET' && ++reads === 2) {
          const answer = await globalThis.fetch(input, init);
          heldEtag = answer.headers.get('ETag');
          await held;
          return answer;
        }
      },
    });
    await waitFor(() => assert.equal(result.current.profile?.full_name, 'Out Of Order'));
    let slowRead;
    act(() => { slowRead = result.current.refresh(); });
    await settle();
    await act(async () => { await result.current.updateProfile({ bio: 'v2' }); });
    assert.ok(heldEtag, 'the held read reached the server before the update');
    release();
    await act(() => slowRead);
    assert.equal(result.current.profile.bio, 'v2');
    await act(async () => { await result.current.updateProfile({ bio: 'v3' }); }); // no false 412
    assert.equal(result.current.stale, false);
  });

  test('If-Match is the ETag of the profile this component shows, not one another component read since', async () => {
    const session = await signedInUser('Shown');
    const { result, client } = mount(useUserProfile, fakeSupabase(session));
    await waitFor(() => assert.equal(result.current.profile?.full_name, 'Shown'));
    await createUsersClient({ baseUrl: API, session: () => session }).updateProfile({ bio: 'unseen here' });
    await client.me(); // another component, on the same client, reads the new profile
    assert.equal(result.current.profile.bio, null);
    await act(async () => {
      await assert.rejects(result.current.updateProfile({ display_name: 'blind' }), StaleError);
    });
    assert.equal(result.current.profile.bio, 'unseen here');
  });

  test('two updates in a row, before React renders again: the second sends the ETag the first brought', async () => {
    const session = await signedInUser('Back To Back');
    const { result, fetch } = mount(useUserProfile, fakeSupabase(session));
    await waitFor(() => assert.equal(result.current.profile?.full_name, 'Back To Back'));
    await act(async () => {
      const { updateProfile } = result.current;
      await updateProfile({ bio: 'one' });
      await updateProfile({ bio: 'two' });
    });
    assert.equal(result.current.profile.bio, 'two');
    assert.equal(result.current.stale, false);
    const sent = fetch.calls.filter((c) => c.method === 'PUT').map((c) => c.headers['If-Match']);
    assert.equal(sent.length, 2);
    assert.notEqual(sent[0], sent[1]);
  });

  test('after a 412 the profile read is shown whatever its timestamps say, and the next update goes through', async () => {
    // updated_at is a transaction's start: a write that waited for the row lock commits later
    // with an earlier one. The hook must not take such a state for an older one.
    const session = await signedInUser('Timestamps');
    let backdate = false;
    const { result } = mount(useUserProfile, fakeSupabase(session), {
      plan: async (call, n, input, init) => {
        if (call.method !== 'GET' || !backdate) return undefined;
        const answer = await globalThis.fetch(input, init);
        const body = await answer.json();
        body.user.updated_at = '2000-01-01T00:00:00+00:00';
        return new Response(JSON.stringify(body), { status: answer.status, headers: answer.headers });
      },
    });
    await waitFor(() => assert.equal(result.current.profile?.full_name, 'Timestamps'));
    await createUsersClient({ baseUrl: API, session: () => session }).updateProfile({ bio: 'theirs' });
    backdate = true;
    await act(async () => {
      await assert.rejects(result.current.updateProfile({ bio: 'mine' }), StaleError);
    });
    assert.equal(result.current.profile.bio, 'theirs');
    await act(async () => { await result.current.updateProfile({ bio: 'mine, again' }); });
    assert.equal(result.current.profile.bio, 'mine, again');
  });

  test('signed out: no profile, and none read', async () => {
    const { result, fetch } = mount(useUserProfile, fakeSupabase(null));
    await settle();
    assert.equal(result.current.profile, null);
    assert.equal(result.current.loading, false);
    assert.equal(fetch.calls.length, 0);
  });
});
