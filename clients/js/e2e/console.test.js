// The dev console in headless Chromium (Debian's, driven by playwright-core): sign a user up, sign
// in, edit the profile through the JS client, see the change and its sync log row, make drift and
// reconcile it, then change the email, refresh the token and delete the user by Auth's flows. NURA_API_URL names a running `nura-users dev`; the screenshots go to
// NURA_SCREENSHOT_DIR (default e2e/screenshots).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';

const API = process.env.NURA_API_URL;
const SHOTS = process.env.NURA_SCREENSHOT_DIR ?? new URL('./screenshots', import.meta.url).pathname;
const CHROMIUM = process.env.NURA_CHROMIUM ?? '/usr/bin/chromium';
assert.ok(API, 'NURA_API_URL must name a running `nura-users dev` (tests/test_js.py starts one)');

let browser;
before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // a fresh profile in a temporary folder (Playwright's own); no sandbox as root; no background networking, which this machine's closed network refuses
  browser = await chromium.launch({
    executablePath: CHROMIUM, headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
});
after(async () => {
  await browser?.close();
});

test('sign up, sign in, edit the profile, see it and its log row; drift, then reconcile', async () => {
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const failures = [];
  page.on('pageerror', (error) => failures.push(String(error)));
  await page.goto(`${API}/`);

  const email = `e2e-${randomUUID().slice(0, 8)}@example.com`;
  const signup = page.locator('#signup');
  await signup.getByLabel('Email', { exact: true }).fill(email);
  await signup.getByLabel('Full name').fill('Edna End-to-End');
  await signup.getByRole('button', { name: 'Sign up' }).click();
  await page.getByText(`Signed up ${email}`).waitFor();

  await page.getByRole('button', { name: `Sign in as ${email}` }).click();
  await page.locator('#signed-in').getByText(email).waitFor();
  const profile = page.locator('#profile');
  await profile.getByText('Edna End-to-End').waitFor();
  const userId = await profile.locator('dd').first().textContent();
  const etagBefore = await page.locator('#etag').textContent();

  const form = page.locator('#profile-form');
  await form.getByLabel('Display name').fill('Edna');
  await form.getByLabel('Bio').fill('Written in a real browser');
  await form.getByRole('button', { name: 'Save profile' }).click();
  await page.getByText('Saved: display_name, bio').waitFor();
  await profile.getByText('Written in a real browser').waitFor();
  assert.notEqual(await page.locator('#etag').textContent(), etagBefore);

  const logRow = page.locator('#log-rows tr', { hasText: 'profile_update' }).first();
  await logRow.waitFor();
  assert.match(await logRow.textContent(), /frontend_sync.*yes.*display_name, bio|frontend_sync.*yes.*bio, display_name/);
  await page.screenshot({ path: join(SHOTS, 'console-profile-saved.png'), fullPage: true });

  await page.getByRole('button', { name: 'Sign in with the sync trigger off' }).click();
  await page.locator('#drift').getByText(`stale ${userId}`).waitFor();
  await page.getByRole('button', { name: 'Reconcile' }).click();
  await page.getByText(/Reconciled [1-9]\d* user/).waitFor();
  await page.locator('#drift').getByText('None').waitFor(); // nobody's drift is left
  await page.locator('#log-rows tr', { hasText: 'reconcile' }).first().waitFor();
  await page.screenshot({ path: join(SHOTS, 'console-reconciled.png'), fullPage: true });

  // Auth's flows, from the buttons: an email change lands at its confirmation
  const newEmail = `changed-${email}`;
  await page.locator('#email-change-form').getByLabel('New email').fill(newEmail);
  await page.getByRole('button', { name: 'Ask to change the email' }).click();
  await page.getByText('the email change asked for').waitFor();
  await page.getByRole('button', { name: "Follow the change's links" }).click();
  await profile.getByText(newEmail).waitFor();
  await page.getByRole('button', { name: 'Refresh the token' }).click();
  await page.getByText('the refresh-token grant').waitFor();
  const listed = page.getByRole('button', { name: `Sign in as ${newEmail}` });
  await listed.waitFor();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.locator('#signed-in').getByText('Nobody').waitFor();
  await listed.waitFor({ state: 'detached' });

  assert.deepEqual(failures, []);
});
