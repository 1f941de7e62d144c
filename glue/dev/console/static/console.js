// The dev console. Supabase Auth's part goes through /console/api (the local auth stand-in); the
// profile goes through the JS client, with the session the sign-in returned, as an app's would.
import { ApiError, createUsersClient, StaleError } from '/console/client/index.js';

const POLL_MS = 1000;
const PROFILE_FIELDS = ['full_name', 'display_name', 'bio', 'avatar_url', 'phone_number'];
const SHOWN_FIELDS = ['id', 'email', ...PROFILE_FIELDS, 'privacy_settings', 'xp', 'current_streak', 'is_active',
  'origin', 'last_sign_in_at', 'updated_at'];

let session = null;
const client = createUsersClient({ baseUrl: '', session: () => session, sessionId: `console-${Date.now()}` });
let seenLogId = 0;
let shownUser = null; // the profile as last read: edits are against it, and so is If-Match

const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

function say(id, text, ok) {
  Object.assign($(id), { textContent: text, className: `message ${ok ? 'ok' : 'error'}` });
}

function describe(error) {
  return error instanceof ApiError ? `${error.name} (${error.status} ${error.code}): ${error.message}` : String(error);
}

async function consoleApi(method, path, body) {
  // writes are always JSON: the console refuses anything else (see glue/console)
  const write = method !== 'GET';
  const response = await fetch(`/console/api${path}`, {
    method, headers: write ? { 'Content-Type': 'application/json' } : {}, body: write ? JSON.stringify(body ?? {}) : undefined,
  });
  const payload = await response.json();
  if (!payload.success) throw new Error(payload.error);
  return payload;
}

function fieldsOf(form) {
  return Object.fromEntries(new FormData(form).entries());
}

async function signIn(user) {
  ({ session } = await consoleApi('POST', `/users/${user.id}/sign-in`));
  $('signed-in').textContent = `${nameOf(user)}, with a session whose access token expires ${new Date(session.expires_at * 1000).toLocaleTimeString()}.`;
  $('signed-in-panels').hidden = false;
  seenLogId = 0;
  await client.sync({ id: session.user.id });
  await showProfile();
  await refresh();
}

async function showProfile() {
  const { user, serviceProfiles, etag } = await client.me();
  shownUser = user;
  $('profile').replaceChildren(...SHOWN_FIELDS.flatMap((field) => [
    element('dt', { textContent: field }),
    element('dd', { textContent: typeof user[field] === 'object' && user[field] !== null ? JSON.stringify(user[field]) : String(user[field] ?? '—') }),
  ]));
  $('etag').textContent = etag;
  const form = $('profile-form');
  for (const field of PROFILE_FIELDS) form.elements[field].value = user[field] ?? '';
  $('service-profiles').replaceChildren(...Object.entries(serviceProfiles).map(([type, profile]) =>
    element('pre', { textContent: `${type}: ${JSON.stringify(profile.service_preferences)}` })));
}

async function saveProfile(event) {
  event.preventDefault();
  // only what was edited, empty meaning "clear"
  const changes = {};
  for (const [field, value] of Object.entries(fieldsOf(event.target))) {
    if (value.trim() !== (shownUser?.[field] ?? '')) changes[field] = value.trim() === '' ? null : value.trim();
  }
  try {
    await client.updateProfile(changes); // If-Match: the ETag of the profile shown
    say('profile-message', Object.keys(changes).length ? `Saved: ${Object.keys(changes).join(', ')}` : 'Nothing changed', true);
  } catch (error) {
    say('profile-message', error instanceof StaleError
      ? 'The profile changed since it was shown (412): showing the current one; edit and save again.'
      : describe(error), false);
  }
  await showProfile().catch((error) => say('profile-message', describe(error), false));
  await refresh();
}

async function authChange(event) {
  event.preventDefault();
  try {
    await consoleApi('PUT', `/users/${session.user.id}/auth-metadata`, fieldsOf(event.target));
    say('auth-message', 'auth.users changed: its trigger synced public.users in the same transaction', true);
  } catch (error) {
    say('auth-message', describe(error), false);
  }
  await refresh();
}

const FLOW_SAID = {
  'oauth-login': 'a returning Google login: metadata rewritten whole, then the session',
  'request-email-change': 'the email change asked for: email stays until its links are followed',
  'confirm-email-change': 'the email change confirmed',
  refresh: 'the refresh-token grant: last_sign_in_at rewritten unchanged, nothing to sync',
  'confirm-email': 'the email confirmed, and a session',
  'verify-phone': 'the phone verified, and a session',
  logout: 'signed out: sessions gone, auth.users untouched',
  ban: 'banned: nothing mirrored changed',
  'soft-delete': 'soft-deleted: the row is a tombstone',
  'hard-delete': 'deleted: the row is a tombstone',
};

async function runFlow(flow, body) {
  try {
    await consoleApi('POST', `/users/${session.user.id}/auth/${flow}`, body);
    say('auth-message', `Auth ran ${FLOW_SAID[flow] ?? flow}; the sync log shows what the trigger made of it`, true);
    if (flow.endsWith('delete')) signOut();
  } catch (error) {
    say('auth-message', describe(error), false);
  }
  await refresh();
  if (session) await showProfile().catch(() => {});
}

function signOut() {
  session = null;
  $('signed-in').textContent = 'Nobody: sign one of the users in.';
  $('signed-in-panels').hidden = true;
}

async function makeDrift() {
  try {
    await consoleApi('POST', `/users/${session.user.id}/drift`);
    say('auth-message', 'last_sign_in_at changed with the trigger off: the drift check sees it', true);
  } catch (error) {
    say('auth-message', describe(error), false);
  }
  await refresh();
}

function renderUsers(users) {
  $('user-list').replaceChildren(...users.map((user) => element('li',
    { className: session?.user.id === user.id ? 'current' : '' },
    element('span', { textContent: nameOf(user) }, element('small', { textContent: user.full_name ?? (user.synced ? '' : 'not synced') })),
    element('button', { type: 'button', textContent: 'Sign in', ariaLabel: `Sign in as ${nameOf(user)}`, onclick: () => signIn(user).catch((e) => say('signup-message', describe(e), false)) }))));
}

function nameOf(user) {
  return user.email ?? (user.phone ? `+${user.phone}` : `anonymous ${user.id.slice(0, 8)}`);
}

function renderLog(rows) {
  const newest = rows[0]?.id ?? 0;
  $('log-rows').replaceChildren(...rows.map((row) => {
    const changed = row.success ? Object.keys(row.after_data ?? {}).join(', ') : row.error_message;
    return element('tr', { className: row.id > seenLogId && seenLogId ? 'fresh' : '' },
      element('td', { textContent: row.id }),
      element('td', { textContent: new Date(row.created_at).toLocaleTimeString() }),
      element('td', { textContent: row.sync_type }),
      element('td', { textContent: row.source }),
      element('td', { textContent: row.success ? 'yes' : 'no', className: row.success ? '' : 'failed' }),
      element('td', { textContent: changed, title: JSON.stringify(row.after_data) }),
      element('td', {}, element('code', { textContent: row.request_id ?? '' })));
  }));
  seenLogId = Math.max(seenLogId, newest);
}

function renderDrift(drift) {
  $('drift').textContent = drift.length === 0 ? 'None: public.users matches auth.users.'
    : drift.map((d) => `${d.problem} ${d.user_id ?? ''} ${JSON.stringify(d.detail)}`).join('\n');
  $('drift').className = drift.length ? 'message error' : 'message ok';
}

function renderMetrics(metrics) {
  $('metrics-rows').replaceChildren(...metrics.map((m) => element('tr', {},
    ...[m.source, m.total, m.failed, m.success_rate].map((v) => element('td', { textContent: String(v ?? '') })))));
}

async function refresh() {
  const query = session ? `?user=${session.user.id}` : '';
  const state = await consoleApi('GET', `/state${query}`);
  renderUsers(state.users);
  renderLog(state.selected?.sync_log ?? []);
  renderDrift(state.drift);
  renderMetrics(state.sync_metrics);
}

$('signup').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const fields = Object.fromEntries(Object.entries(fieldsOf(event.target)).filter(([, v]) => v !== ''));
    await consoleApi('POST', '/users', fields);
    const who = fields.email ?? fields.phone ?? 'an anonymous user';
    say('signup-message', `Signed up ${who} (${fields.kind}): the trigger made its public.users row`, true);
    event.target.reset();
  } catch (error) {
    say('signup-message', describe(error), false);
  }
  await refresh();
});
$('profile-form').addEventListener('submit', saveProfile);
$('auth-form').addEventListener('submit', authChange);
$('drift-button').addEventListener('click', makeDrift);
for (const button of document.querySelectorAll('[data-flow]')) {
  button.addEventListener('click', () => runFlow(button.dataset.flow, button.form ? fieldsOf(button.form) : {}));
}
$('email-change-form').addEventListener('submit', (event) => {
  event.preventDefault();
  runFlow('request-email-change', fieldsOf(event.target));
});
$('reconcile').addEventListener('click', async () => {
  try {
    const { repaired } = await consoleApi('POST', '/reconcile');
    say('reconcile-message', `Reconciled ${repaired} user(s)`, true);
  } catch (error) {
    say('reconcile-message', describe(error), false);
  }
  await refresh();
  if (session) await showProfile();
});

refresh();
setInterval(() => refresh().catch(() => {}), POLL_MS);
