import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Sequelize } from 'sequelize-typescript';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startExampleServer } from '../../example-app/server.js';
import { hashPassword } from '../../example-app/users.js';

/**
 * The example app's page in headless Chromium (Debian's `chromium` package, driven by
 * playwright-core): log in (the token in an HttpOnly cookie), see the session, revoke it from a
 * second login, watch the first page get "Invalid token." at once, keep two tabs in step, hand out
 * a read-only API key, log out. A screenshot after login goes to test-results/e2e/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// Background networking off: this machine's closed network refuses Chromium's own connections.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const OUTPUT_DIR = join(process.cwd(), 'test-results', 'e2e');

let server: Awaited<ReturnType<typeof startExampleServer>>;
let browser: Browser;
let database: { url: string; drop(): Promise<void> };
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];

/**
 * A fresh database: a temporary SQLite file, or with DURIN_TEST_DB=mysql a new database on the
 * server of DURIN_TEST_MYSQL_URL (as in the main suite), dropped afterwards.
 */
async function createDatabase(): Promise<typeof database> {
  const mysqlUrl = process.env.DURIN_TEST_MYSQL_URL;
  if (process.env.DURIN_TEST_DB === 'mysql') {
    if (!mysqlUrl) throw new Error('DURIN_TEST_DB=mysql needs DURIN_TEST_MYSQL_URL');
    const name = `durin_e2e_${randomBytes(6).toString('hex')}`;
    const admin = new Sequelize(mysqlUrl, { logging: false });
    await admin.query(`CREATE DATABASE \`${name}\``);
    const url = new URL(mysqlUrl);
    url.pathname = `/${name}`;
    return {
      url: url.toString(),
      async drop() {
        await admin.query(`DROP DATABASE \`${name}\``);
        await admin.close();
      },
    };
  }
  const dir = mkdtempSync(join(tmpdir(), 'durin-e2e-'));
  return { url: `sqlite:${join(dir, 'example.sqlite')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

beforeAll(async () => {
  database = await createDatabase();
  server = await startExampleServer({
    port: 0,
    host: '127.0.0.1',
    databaseUrl: database.url,
    cache: process.env.DURIN_CACHE === '1',
    // Every browser here is 127.0.0.1, and this file logs in more than durin's 10 times a minute.
    loginThrottleRate: '1000/m',
  });
  // launch() gives the browser a fresh, temporary user-data-dir of its own.
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
  mkdirSync(OUTPUT_DIR, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await database?.drop();
});

// Each test starts with no browser open and no token issued.
beforeEach(async () => {
  for (const context of contexts.splice(0)) await context.close();
  pageErrors.length = 0;
  const demo = await server.app.User.findOne({ where: { username: 'demo' } });
  await server.app.durin.tokens.revokeAll(demo!);
});

/** A page in a browser context of its own: its own cookies and storage, so its own login. */
async function openPage(): Promise<Page> {
  const context = await browser.newContext();
  contexts.push(context);
  const page = await newTab(context);
  await page.locator('#login-form').waitFor();
  return page;
}

/** Another tab of the same browser: it shares the first one's cookies and localStorage. */
async function newTab(context: BrowserContext): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(server.url);
  return page;
}

const DEMO = { username: 'demo', password: 'demo-password' };

async function logIn(page: Page, client: 'web' | 'mobile' | 'cli', as = DEMO) {
  const form = page.locator('#login-form');
  await form.getByLabel('Username').fill(as.username);
  await form.getByLabel('Password').fill(as.password);
  await form.getByLabel('Client').selectOption(client);
  await page.getByRole('button', { name: 'Log in' }).click();
  try {
    await page.locator('#notice', { hasText: `on the ${client} client` }).waitFor({ timeout: 15_000 });
  } catch (error) {
    // Say what the page showed instead.
    throw new Error(`login on ${client} did not complete; the page says: ${await text(page, '#error')}`, { cause: error });
  }
  await page.locator('#app-view').waitFor({ state: 'visible' });
}

const text = async (page: Page, selector: string) => ((await page.locator(selector).textContent()) ?? '').trim();
const sessionRow = (page: Page, client: string) => page.locator(`#session-rows tr[data-client="${client}"]`);
const tokenCount = () => server.app.durin.models.AuthToken.count();

/** A tRPC call over plain HTTP, as a third party holding a key sends it. */
async function callWithKey(key: string, path: string, input?: unknown) {
  const headers = { authorization: `Token ${key}`, 'content-type': 'application/json' };
  const response =
    input === undefined
      ? await fetch(`${server.url}/${path}`, { headers })
      : await fetch(`${server.url}/${path}`, { method: 'POST', headers, body: JSON.stringify({ json: input }) });
  const body = (await response.json()) as {
    result?: { data: { json: unknown } };
    error?: { json: { message: string; data: { code: string; durinCode?: string } } };
  };
  return { status: response.status, data: body.result?.data.json, error: body.error?.json };
}

describe('the example page in Chromium', () => {
  it('logs in, sees its session, is revoked from a second login, and logs out', async () => {
    // 1. First browser: log in on the web client and see who we are and the session.
    const first = await openPage();
    await logIn(first, 'web');
    expect(await text(first, '#me-username')).toContain('demo');
    expect(await text(first, '#me-client')).toBe('web');
    await sessionRow(first, 'web').waitFor();
    expect(await first.locator('#session-rows tr').count()).toBe(1);
    expect(await sessionRow(first, 'web').textContent()).toContain('this page');
    await first.screenshot({ path: join(OUTPUT_DIR, 'after-login.png'), fullPage: true });

    // Client permissions, as the web client sees them.
    await first.getByRole('button', { name: 'onlyWeb' }).click();
    await first.locator('#try-result', { hasText: 'only the web client' }).waitFor();
    await first.getByRole('button', { name: 'noWeb', exact: true }).click();
    await first.locator('#try-result', { hasText: 'FORBIDDEN: You do not have permission to perform this action.' }).waitFor();

    // 2. Second browser: log in on mobile; both sessions are listed; revoke the first browser's.
    const second = await openPage();
    await logIn(second, 'mobile');
    await sessionRow(second, 'web').waitFor();
    expect(await sessionRow(second, 'mobile').textContent()).toContain('this page');
    await sessionRow(second, 'web').getByRole('button', { name: 'Revoke' }).click();
    await second.locator('#notice', { hasText: '(web) revoked.' }).waitFor();
    expect(await second.locator('#session-rows tr').count()).toBe(1);

    // 3. The first browser is told at once (its live session list): "Invalid token.", back at the login form.
    await first.locator('#error', { hasText: 'Invalid token.' }).waitFor({ state: 'visible' });
    await first.locator('#login-view').waitFor({ state: 'visible' });
    expect(await first.locator('#app-view').isHidden()).toBe(true);

    // 4. The second browser refreshes its session.
    await second.getByRole('button', { name: 'Refresh token' }).click();
    await second.locator('#notice', { hasText: 'Token refreshed' }).waitFor();

    // 5. Log out: back at the login form, and no token is left in the database.
    await second.getByRole('button', { name: 'Log out', exact: true }).click();
    await second.locator('#login-view').waitFor({ state: 'visible' });
    await second.locator('#notice', { hasText: 'Logged out' }).waitFor();
    expect(await tokenCount()).toBe(0);

    expect(pageErrors).toEqual([]);
  });

  it('logs out everywhere: the other browser shows "Invalid token." at once', async () => {
    const first = await openPage();
    await logIn(first, 'web');
    const second = await openPage();
    await logIn(second, 'cli');
    expect(await tokenCount()).toBe(2);

    await second.getByRole('button', { name: 'Log out everywhere' }).click();
    await second.locator('#notice', { hasText: 'Logged out everywhere' }).waitFor();
    expect(await tokenCount()).toBe(0);

    // The first page learns it at once through its live session list, without a click.
    await first.locator('#error', { hasText: 'Invalid token.' }).waitFor({ state: 'visible' });
    await first.locator('#login-view').waitFor({ state: 'visible' });

    expect(pageErrors).toEqual([]);
  });

  it('shows a failed login and keeps the form', async () => {
    const page = await openPage();
    await page.getByLabel('Password').fill('wrong password');
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('#error', { hasText: 'Unable to log in with provided credentials.' }).waitFor({ state: 'visible' });
    expect(await page.locator('#login-view').isVisible()).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});

// the page keeps its session list live through auth.sessions.watch (WebSocket).
describe('the live session list in Chromium', () => {
  it('shows another browser\'s login without a click, and "Invalid token." at once when revoked from there', async () => {
    const first = await openPage();
    await logIn(first, 'web');
    await sessionRow(first, 'web').waitFor();

    // A login in a second browser appears on the first page by itself, within 2 s.
    const second = await openPage();
    await logIn(second, 'mobile');
    await sessionRow(first, 'mobile').waitFor({ timeout: 2000 });
    expect(await first.locator('#session-rows tr').count()).toBe(2);

    // The second browser revokes the first's session: the first page says so within 2 s, no click.
    await sessionRow(second, 'web').getByRole('button', { name: 'Revoke' }).click();
    await first.locator('#error', { hasText: 'Invalid token.' }).waitFor({ state: 'visible', timeout: 2000 });
    await first.locator('#login-view').waitFor({ state: 'visible', timeout: 2000 });
    expect(await first.locator('#app-view').isHidden()).toBe(true);
    // And the second page's own list dropped the revoked session.
    await expect.poll(() => second.locator('#session-rows tr').count(), { timeout: 2000 }).toBe(1);

    expect(pageErrors).toEqual([]);
  });
});

describe('session details and "Log out other sessions"', () => {
  it("shows each session's name, browser, IP and last use, and logs the other sessions out", async () => {
    const first = await openPage();
    await logIn(first, 'web');
    const second = await openPage();
    await logIn(second, 'mobile');

    // The login sent a name derived from the user agent; the session says where and with what it was used.
    const web = sessionRow(second, 'web');
    await web.waitFor();
    expect(await text(second, '#session-rows tr[data-client="web"] .session-name')).toBe('Chrome on Linux');
    expect(await text(second, '#session-rows tr[data-client="web"] .session-browser')).toBe('Chrome on Linux');
    expect(await text(second, '#session-rows tr[data-client="web"] .session-ip')).toBe('127.0.0.1');
    expect(await text(second, '#session-rows tr[data-client="web"] .session-last-used')).toMatch(/^last used /);
    expect(await web.locator('.session-details').getAttribute('title')).toContain('Chrome');
    const stored = await server.app.durin.models.AuthToken.findAll({ order: [['id', 'ASC']] });
    expect(stored.map((row) => row.name)).toEqual(['Chrome on Linux', 'Chrome on Linux']);
    await second.screenshot({ path: join(OUTPUT_DIR, 'session-details.png'), fullPage: true });

    await second.getByRole('button', { name: 'Log out other sessions' }).click();
    await second.locator('#notice', { hasText: '1 other session logged out.' }).waitFor();
    expect(await second.locator('#session-rows tr').count()).toBe(1);
    expect(await sessionRow(second, 'mobile').textContent()).toContain('this page');
    expect(await tokenCount()).toBe(1);

    // The first browser is told at once (its live session list), and it is back at the login form.
    await first.locator('#error', { hasText: 'Invalid token.' }).waitFor({ state: 'visible' });
    await first.locator('#login-view').waitFor({ state: 'visible' });

    expect(pageErrors).toEqual([]);
  });
});

describe('cookie sessions in Chromium', () => {
  it("keeps the token out of the page's reach, and two tabs of one browser sign in and out together", async () => {
    const first = await openPage();
    const context = first.context();
    await logIn(first, 'web');

    // The login set an HttpOnly cookie holding the token; the page's JavaScript sees none of it.
    const cookie = (await context.cookies(server.url)).find((candidate) => candidate.name === 'durin_token');
    expect(cookie).toBeDefined();
    expect(cookie!.httpOnly).toBe(true);
    expect(cookie!.sameSite).toBe('Lax');
    const token = cookie!.value;
    expect(token).toMatch(/^[0-9a-f]{72}$/);
    expect(await first.evaluate(() => document.cookie)).not.toContain(token);
    const storage = await first.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
    expect(storage).not.toContain(token);
    // What the client keeps instead: the expiry, and no token.
    const kept = JSON.parse((await first.evaluate(() => localStorage.getItem('trpc-durin'))) ?? 'null') as {
      token: unknown;
      expiry: string;
    };
    expect(kept.token).toBeNull();
    expect(new Date(kept.expiry).getTime()).toBeGreaterThan(Date.now());

    // Requests work on the cookie alone: a query, a mutation (same-origin, so the cross-site check passes).
    await first.getByRole('button', { name: 'onlyWeb' }).click();
    await first.locator('#try-result', { hasText: 'only the web client' }).waitFor();
    await first.getByRole('button', { name: 'Refresh token' }).click();
    await first.locator('#notice', { hasText: 'Token refreshed' }).waitFor();
    await sessionRow(first, 'web').waitFor();

    // A second tab of the same browser is signed in already: same cookie, same session.
    const second = await newTab(context);
    await second.locator('#app-view').waitFor({ state: 'visible' });
    expect(await text(second, '#me-client')).toBe('web');
    await sessionRow(second, 'web').waitFor();
    expect(await tokenCount()).toBe(1);

    // Logging out in the first tab signs the second out, without a click there.
    await first.getByRole('button', { name: 'Log out', exact: true }).click();
    await first.locator('#notice', { hasText: 'Logged out' }).waitFor();
    await second.locator('#login-view').waitFor({ state: 'visible' });
    expect(await second.locator('#app-view').isHidden()).toBe(true);
    expect(await tokenCount()).toBe(0);
    // The logout cleared the cookie.
    expect((await context.cookies(server.url)).some((candidate) => candidate.name === 'durin_token')).toBe(false);

    // And a login in the second tab reaches the first.
    await logIn(second, 'mobile');
    await first.locator('#app-view').waitFor({ state: 'visible' });
    await first.locator('#notice', { hasText: 'Signed in from another tab.' }).waitFor();
    expect(await text(first, '#me-client')).toBe('mobile');

    expect(pageErrors).toEqual([]);
  });
});

describe('the API keys panel in Chromium', () => {
  it('creates a read-only key shown once, which lists posts and is refused creating one; renames and revokes it', async () => {
    const page = await openPage();
    await logIn(page, 'web');
    await page.locator('#api-keys-empty').waitFor({ state: 'visible' });

    // Create: a name, the posts:read ability only.
    await page.locator('#api-key-form').getByLabel('Name').fill('Analytics export');
    await page.locator('#api-key-form').getByLabel('posts:read').check();
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.locator('#api-key-new').waitFor({ state: 'visible' });
    const key = await text(page, '#api-key-token');
    expect(key).toMatch(/^[0-9a-f]{72}$/);
    expect(await text(page, '#api-key-new-name')).toBe('Analytics export');
    const row = page.locator('#api-key-rows tr');
    await row.first().waitFor();
    expect(await row.count()).toBe(1);
    expect(await text(page, '#api-key-rows .api-key-name')).toBe('Analytics export');
    expect(await row.locator('code').textContent()).toBe(`${key.slice(0, 8)}…`);
    expect(await text(page, '#api-key-rows .api-key-abilities')).toBe('posts:read');
    expect(await text(page, '#api-key-rows .api-key-last-used')).toBe('never');
    expect(await row.textContent()).not.toContain(key);
    await page.screenshot({ path: join(OUTPUT_DIR, 'api-keys.png'), fullPage: true });

    // The third party holding the key: it may read posts, and not write them.
    const list = await callWithKey(key, 'posts.list');
    expect(list.status).toBe(200);
    expect(list.data).toEqual([]);
    const create = await callWithKey(key, 'posts.create', { title: 'Not allowed' });
    expect(create.status).toBe(403);
    expect(create.error?.message).toBe('This token lacks the ability: posts:write.');
    expect(create.error?.data.code).toBe('FORBIDDEN');
    expect(create.error?.data.durinCode).toBe('ABILITY_MISSING');

    // Its use shows in the list (recorded off the request path, so wait for it to land).
    const demo = await server.app.User.findOne({ where: { username: 'demo' } });
    await expect.poll(async () => (await server.app.durin.apiKeys.list(demo!))[0]?.lastUsedAt ?? null).not.toBeNull();
    await page.reload();
    await page.locator('#api-key-rows .api-key-last-used', { hasText: 'from 127.0.0.1' }).waitFor();
    // Shown once: after a reload the key itself is nowhere on the page.
    expect(await page.locator('#api-key-new').isHidden()).toBe(true);
    expect(await page.content()).not.toContain(key);

    // Rename in place.
    await row.getByRole('button', { name: 'Rename' }).click();
    await row.getByLabel('New name').fill('Dashboard');
    await row.getByRole('button', { name: 'Save' }).click();
    await page.locator('#notice', { hasText: 'renamed to "Dashboard"' }).waitFor();
    expect(await text(page, '#api-key-rows .api-key-name')).toBe('Dashboard');

    // Revoke: gone from the list, and the key no longer works.
    await row.getByRole('button', { name: 'Revoke' }).click();
    await page.locator('#notice', { hasText: 'API key "Dashboard" revoked' }).waitFor();
    await page.locator('#api-keys-empty').waitFor({ state: 'visible' });
    expect(await row.count()).toBe(0);
    const revoked = await callWithKey(key, 'posts.list');
    expect(revoked.status).toBe(401);
    expect(revoked.error?.message).toBe('Invalid token.');

    expect(pageErrors).toEqual([]);
  });

  it('refuses a key without an ability, and keeps the form', async () => {
    const page = await openPage();
    await logIn(page, 'web');
    await page.locator('#api-key-form').getByLabel('Name').fill('Nothing');
    await page.getByRole('button', { name: 'Create API key' }).click();
    await page.locator('#error', { hasText: 'Choose at least one ability for the key.' }).waitFor({ state: 'visible' });
    expect(await page.locator('#api-key-new').isHidden()).toBe(true);
    expect(await server.app.durin.models.AuthToken.count()).toBe(1);
    expect(pageErrors).toEqual([]);
  });
});

describe('the administration panel in Chromium', () => {
  it("is shown to the admin only, edits a client inline, and revokes another user's key and sessions", async () => {
    // A second, ordinary user (the app seeds only demo), with a session in a browser of its own.
    const alice = { username: `alice-${randomBytes(3).toString('hex')}`, password: 'alice-password' };
    const aliceUser = await server.app.User.create({ username: alice.username, passwordHash: await hashPassword(alice.password) });
    const second = await openPage();
    await logIn(second, 'mobile', alice);
    // Not an admin: the server refused admin.clients.list, so the page has no panel.
    expect(await second.locator('#admin').isHidden()).toBe(true);
    expect(await second.locator('#error').isHidden()).toBe(true);
    await server.app.durin.apiKeys.create(aliceUser, { name: 'Alice export', abilities: ['posts:read'] });

    // demo is the admin: the panel shows, with the seeded clients.
    const first = await openPage();
    await logIn(first, 'web');
    await first.locator('#admin').waitFor({ state: 'visible' });
    const cli = first.locator('#admin-client-rows tr[data-client-name="cli"]');
    expect(await cli.getByLabel('Token TTL of cli').inputValue()).toBe('43200');
    expect(await cli.getByLabel('Throttle rate of cli').inputValue()).toBe('5/m');

    // A bad rate: the server's message next to the row, the typed value kept, nothing saved.
    await cli.getByLabel('Throttle rate of cli').fill('often');
    await cli.getByRole('button', { name: 'Save' }).click();
    const problem = cli.locator('.inline-error');
    await expect
      .poll(() => text(first, '#admin-client-rows tr[data-client-name="cli"] .inline-error'))
      .toBe(
        'Invalid throttleRate: expected "<n>/<period>" with a period of s, sec, second, m, min, minute, h, hour, d or day (e.g. "100/h") (got "often")',
      );
    expect(await first.locator('#error').isHidden()).toBe(true);
    expect(await cli.getByLabel('Throttle rate of cli').inputValue()).toBe('often');
    expect((await server.app.durin.clients.get('cli'))!.throttleRate).toBe('5/m');
    // A good TTL and rate: saved, and the row shows what the server stored.
    await cli.getByLabel('Token TTL of cli').fill('2h');
    await cli.getByLabel('Throttle rate of cli').fill('20/m');
    await cli.getByRole('button', { name: 'Save' }).click();
    await first.locator('#notice', { hasText: 'Client cli saved: tokens last 7200 s, rate 20/m.' }).waitFor();
    expect(await problem.count()).toBe(1);
    expect(await text(first, '#admin-client-rows tr[data-client-name="cli"] .inline-error')).toBe('');
    expect(await cli.getByLabel('Token TTL of cli').inputValue()).toBe('7200');
    const stored = (await server.app.durin.clients.get('cli'))!;
    expect([Number(stored.tokenTtl), stored.throttleRate]).toEqual([7200, '20/m']);

    // alice's tokens: her session and her API key.
    await first.locator('#admin-tokens-form').getByLabel('User id').fill(String(aliceUser.id));
    await first.getByRole('button', { name: 'Show tokens' }).click();
    const rows = first.locator('#admin-token-rows tr');
    await expect.poll(() => rows.count()).toBe(2);
    expect(await text(first, '#admin-tokens-user')).toBe(String(aliceUser.id));
    const key = first.locator('#admin-token-rows tr[data-kind="apiKey"]');
    expect(await key.textContent()).toContain('Alice export');
    expect(await key.locator('.token-kind').textContent()).toBe('API key');
    const session = first.locator('#admin-token-rows tr[data-kind="session"]');
    expect(await session.locator('.token-kind').textContent()).toBe('session');
    expect(await session.textContent()).toContain('mobile');
    await first.screenshot({ path: join(OUTPUT_DIR, 'admin-panel.png'), fullPage: true });

    // Revoke the key alone, then everything alice has left.
    await key.getByRole('button', { name: 'Revoke' }).click();
    await first.locator('#notice', { hasText: `(api) of user ${aliceUser.id} revoked.` }).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await first.getByRole('button', { name: 'Revoke all for this user' }).click();
    await first.locator('#notice', { hasText: `1 token of user ${aliceUser.id} revoked` }).waitFor();
    await first.locator('#admin-tokens-empty').waitFor({ state: 'visible' });
    expect(await server.app.durin.models.AuthToken.count({ where: { userId: aliceUser.id } })).toBe(0);

    // alice's browser is told at once (its live session list): "Invalid token.", back at the login form.
    await second.locator('#error', { hasText: 'Invalid token.' }).waitFor({ state: 'visible' });
    await second.locator('#login-view').waitFor({ state: 'visible' });
    // demo's own session was not touched.
    expect(await first.locator('#app-view').isVisible()).toBe(true);

    expect(pageErrors).toEqual([]);
    // The seeded client as it was, for whatever runs next on this database.
    await server.app.durin.admin.updateClient({ id: null }, { name: 'cli', tokenTtl: '12h', throttleRate: '5/m' });
  });
});
