import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Sequelize } from 'sequelize';

/**
 * Starts one built example (`node dist/server.js` in examples/<name>) on a fresh database and
 * plays the README's first hour: `trpc-durin --app dist/durin.js migrate` and `create-client`
 * (the packed CLI), then over plain HTTP, as any tRPC client would send it: login, `me` with and
 * without the token, then the throttled `report` until its 429 and `Retry-After`.
 *
 *   tsx scripts/exampleSmoke.ts <example> <sqlite|mysql>     (mysql needs DURIN_TEST_MYSQL_URL)
 *
 * Exits 0 when every step answered as expected, else 1 naming the step.
 */

const [name, dialect] = process.argv.slice(2);
if (!name || (dialect !== 'sqlite' && dialect !== 'mysql')) {
  console.error('usage: tsx scripts/exampleSmoke.ts <example> <sqlite|mysql>');
  process.exit(2);
}
const dir = resolve('examples', name);

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.on('error', fail);
  });
}

/** A fresh database URL and how to remove it afterwards. */
async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  if (dialect === 'sqlite') {
    const folder = mkdtempSync(join(tmpdir(), `durin-example-${name}-`));
    return { url: `sqlite://${join(folder, 'app.sqlite')}`, drop: async () => rmSync(folder, { recursive: true, force: true }) };
  }
  const server = process.env.DURIN_TEST_MYSQL_URL;
  if (!server) throw new Error('mysql needs DURIN_TEST_MYSQL_URL');
  const database = `durin_example_${randomBytes(4).toString('hex')}`;
  const admin = new Sequelize(server, { logging: false });
  await admin.query(`CREATE DATABASE \`${database}\``);
  const url = new URL(server);
  url.pathname = `/${database}`;
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.close();
    },
  };
}

function check(step: string, ok: boolean, got: unknown): void {
  if (!ok) throw new Error(`${step}: unexpected answer ${JSON.stringify(got)}`);
  console.log(`  ok  ${step}`);
}

async function call(base: string, path: string, init: { token?: string; input?: unknown } = {}) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (init.token) headers.authorization = `Token ${init.token}`;
  const response = await fetch(
    `${base}/${path}`,
    init.input === undefined ? { headers } : { method: 'POST', headers, body: JSON.stringify({ json: init.input }) },
  );
  const body = (await response.json()) as { result?: { data: { json: unknown } }; error?: { json: { message: string } } };
  return { status: response.status, headers: response.headers, data: body.result?.data.json, error: body.error?.json.message };
}

async function play(base: string): Promise<void> {
  const login = await call(base, 'auth.login', { input: { username: 'demo', password: 'demo-password', client: 'web' } });
  const token = (login.data as { token?: string } | undefined)?.token;
  // 64 random hex characters and the 8-character hex CRC-32 that lets a scanner recognize a token.
  check('login', login.status === 200 && typeof token === 'string' && /^[0-9a-f]{72}$/.test(token), login);
  const me = await call(base, 'me', { token });
  check('me with the token', me.status === 200 && me.data === 'demo', me);
  const anonymous = await call(base, 'me');
  check(
    'me without a token is 401',
    anonymous.status === 401 && anonymous.error === 'Authentication credentials were not provided.',
    anonymous,
  );
  // The example's `web` client allows 3 calls a minute.
  for (let i = 1; i <= 3; i += 1) {
    const report = await call(base, 'report', { token });
    check(`report ${i} of 3`, report.status === 200, report);
  }
  const throttled = await call(base, 'report', { token });
  const retryAfter = Number(throttled.headers.get('retry-after'));
  check(
    'report 4 is 429 with Retry-After',
    throttled.status === 429 &&
      Number.isInteger(retryAfter) &&
      retryAfter > 0 &&
      retryAfter <= 60 &&
      throttled.error === `Request was throttled. Expected available in ${retryAfter === 1 ? '1 second' : `${retryAfter} seconds`}.`,
    { status: throttled.status, retryAfter, error: throttled.error },
  );
}

async function main(): Promise<void> {
  const database = await freshDatabase();
  const port = await freePort();
  console.log(`== example ${name} on ${dialect}`);
  // The tables from the migrations, as in production, by the packed CLI pointed at the app:
  // user_id must reference the model's `Users` table, or login fails on MySQL's foreign key.
  const cliEnv = { ...process.env, DATABASE_URL: database.url };
  const durinCli = (...args: string[]) =>
    execFileSync(process.execPath, ['../node_modules/trpc-durin/dist/cli/bin.js', '--app', 'dist/durin.js', ...args], {
      cwd: dir,
      env: cliEnv,
      encoding: 'utf8',
    });
  check('trpc-durin --app migrate', durinCli('migrate').includes('Applied durin_0001_initial.'), null);
  check('trpc-durin --app create-client', durinCli('create-client', 'web', '--throttle-rate', '3/m') === 'Client web created!\n', null);
  const child = spawn(process.execPath, ['dist/server.js'], {
    cwd: dir,
    env: { ...process.env, DATABASE_URL: database.url, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const base = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => fail(new Error('the server did not say "listening on" within 30 s')), 30_000);
      child.once('exit', (code) => fail(new Error(`the server exited with code ${code} before listening`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const url = /listening on (\S+)/.exec(line)?.[1];
        if (!url) return;
        clearTimeout(timer);
        done(url.replace('localhost', '127.0.0.1'));
      });
    });
    await play(base);
  } finally {
    child.kill();
    await database.drop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`example ${name} on ${dialect}: FAILED: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
