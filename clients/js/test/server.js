// What the tests need of a running `nura-users dev`: its address (NURA_API_URL; tests/test_js.py
// starts one and sets it), and users signed up and signed in the way the dev console does it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';

export const API = process.env.NURA_API_URL?.replace(/\/+$/, '');
assert.ok(API, 'NURA_API_URL must name a running `nura-users dev` (tests/test_js.py starts one)');

async function consoleApi(method, path, body) {
  const write = method !== 'GET';
  const response = await fetch(`${API}/console/api${path}`, {
    method, headers: write ? { 'Content-Type': 'application/json' } : {}, body: write ? JSON.stringify(body ?? {}) : undefined,
  });
  const payload = await response.json();
  assert.ok(payload.success, `${method} ${path}: ${payload.error}`);
  return payload;
}

/** Signs a new user up through the local Auth stand-in and in; returns the session. */
export async function signedInUser(fullName = 'Test User') {
  const email = `${randomUUID()}@example.com`;
  const { id } = await consoleApi('POST', '/users', { email, full_name: fullName });
  return (await consoleApi('POST', `/users/${id}/sign-in`)).session;
}

/** Signs an existing user in again: a new session, a new access token. */
export async function signIn(userId) {
  return (await consoleApi('POST', `/users/${userId}/sign-in`)).session;
}

/** The user's sync log, oldest first, as the console reads it. */
export async function syncLog(userId) {
  const { selected } = await consoleApi('GET', `/state?user=${userId}`);
  return selected.sync_log.reverse();
}

/**
 * A supabase-js client as far as the library uses it: getSession() and onAuthStateChange(), with
 * `emit(event, session)` to play Supabase Auth's events.
 */
export function fakeSupabase(initial = null) {
  let session = initial;
  const listeners = new Set();
  return {
    auth: {
      async getSession() {
        return { data: { session }, error: null };
      },
      onAuthStateChange(callback) {
        listeners.add(callback);
        queueMicrotask(() => callback('INITIAL_SESSION', session));
        return { data: { subscription: { unsubscribe: () => listeners.delete(callback) } } };
      },
    },
    emit(event, next) {
      session = next;
      for (const callback of listeners) callback(event, next);
    },
  };
}

/**
 * fetch, recorded: every request's method, path and headers, in order; `plan` may answer a request
 * itself (a Response, or a thrown error) instead of passing it on.
 */
export function recordingFetch(plan = () => undefined) {
  const calls = [];
  const wrapped = async (input, init = {}) => {
    const call = { method: init.method ?? 'GET', path: new URL(String(input)).pathname, headers: { ...init.headers } };
    calls.push(call);
    const planned = await plan(call, calls.length, input, init);
    return planned ?? fetch(input, init);
  };
  return Object.assign(wrapped, { calls });
}
