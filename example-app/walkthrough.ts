import { inspect } from 'node:util';
import { createTRPCClient, httpLink, TRPCClientError } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from './app.js';

/**
 * A client's life against the running example app, one step at a time:
 *
 *   npm start                 # in one terminal
 *   npm run walkthrough       # in another; BASE_URL=http://localhost:4000 for another server
 */

const BASE_URL = (process.env.BASE_URL ?? 'http://localhost:3000').replace(/\/+$/, '');
const USERNAME = process.env.DEMO_USERNAME ?? 'demo';
const PASSWORD = process.env.DEMO_PASSWORD ?? 'demo-password';

const tty = process.stdout.isTTY;
const bold = (text: string) => (tty ? `\x1b[1m${text}\x1b[22m` : text);
const dim = (text: string) => (tty ? `\x1b[2m${text}\x1b[22m` : text);
const show = (value: unknown) => inspect(value, { colors: tty, depth: 4, breakLength: Infinity });

let stepNumber = 0;
const step = (title: string) => console.log(`\n${bold(`${++stepNumber}. ${title}`)}`);
const call = (text: string) => console.log(`   ${dim('→')} ${text}`);
const line = (text: string) => console.log(`     ${text}`);

/** The last HTTP response, to show status codes and headers next to the tRPC results. */
let lastResponse: Response | undefined;

/** A tRPC client that sends `Authorization: Token <token>` when given one. */
function client(token?: string) {
  return createTRPCClient<AppRouter>({
    links: [
      httpLink({
        url: BASE_URL,
        transformer: superjson,
        headers: () => (token ? { authorization: `Token ${token}` } : {}),
        fetch: async (input, init) => {
          lastResponse = await fetch(input, init);
          return lastResponse;
        },
      }),
    ],
  });
}

const status = () => (lastResponse ? `HTTP ${lastResponse.status} ${lastResponse.statusText}` : 'no response');

/** Runs a call that must fail; returns the error (or throws if it succeeded). */
async function refused(promise: Promise<unknown>): Promise<TRPCClientError<AppRouter>> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TRPCClientError) return error as TRPCClientError<AppRouter>;
    throw error;
  }
  throw new Error('expected the call to be refused, but it succeeded');
}

const refusal = (error: TRPCClientError<AppRouter>) =>
  `${status()}, ${error.data?.code} (durinCode ${error.data?.durinCode}): "${error.message}"`;

async function main() {
  console.log(`trpc-durin walkthrough against ${BASE_URL}`);
  const anonymous = client();

  step(`Log in as ${USERNAME} on the cli client`);
  call(`auth.login({ username: '${USERNAME}', password: '…', client: 'cli' })`);
  const login = await anonymous.auth.login.mutate({ username: USERNAME, password: PASSWORD, client: 'cli' });
  line(`token:  ${login.token}`);
  line(`expiry: ${login.expiry.toISOString()}   user: ${show(login.user)}`);
  line(dim('The server stores only the SHA-256 of the token: this response is the one time it is shown.'));
  const cli = client(login.token);

  step('Call a protected procedure with the token');
  call(`me()   with  Authorization: Token ${login.token.slice(0, 8)}…`);
  line(show(await cli.me.query()));
  call('me()   without a token');
  line(refusal(await refused(anonymous.me.query())));

  step('List my sessions (one token per user and client)');
  call('auth.sessions.list()');
  for (const session of await cli.auth.sessions.list.query()) {
    line(
      `#${session.id} ${session.client.padEnd(7)} created ${session.created.toISOString()}  expires ${session.expiry.toISOString()}` +
        (session.isCurrent ? '  ← this token' : ''),
    );
  }

  step('Refresh the token (same token, new expiry: now + the client’s TTL)');
  call('auth.refresh()');
  const { expiry } = await cli.auth.refresh.mutate();
  line(`expiry: ${login.expiry.toISOString()} → ${expiry.toISOString()}`);

  step('Get throttled (the cli client allows 5 calls a minute on `throttled`)');
  for (let attempt = 1; attempt <= 20; attempt++) {
    try {
      const result = await cli.throttled.query();
      call(`throttled()   ${status()}   ${show(result)}`);
    } catch (error) {
      if (!(error instanceof TRPCClientError) || error.data?.code !== 'TOO_MANY_REQUESTS') throw error;
      call(`throttled()   ${refusal(error as TRPCClientError<AppRouter>)}`);
      line(`Retry-After: ${lastResponse?.headers.get('retry-after')}`);
      break;
    }
  }

  step('Client permissions: allowClients("web") and disallowClients("web")');
  call('onlyWeb()');
  line(refusal(await refused(cli.onlyWeb.query())));
  call('noWeb()');
  line(show(await cli.noWeb.query()));

  step('Create an API key limited to reading posts (shown once) and hand it to a third party');
  call("auth.apiKeys.create({ name: 'Walkthrough reader', abilities: ['posts:read'], expiresIn: '1d' })");
  const key = await cli.auth.apiKeys.create.mutate({ name: 'Walkthrough reader', abilities: ['posts:read'], expiresIn: '1d' });
  line(`API key: ${key.token}   starts ${key.start}   abilities ${show(key.abilities)}   expires ${key.expiry.toISOString()}`);
  line(dim('64 random hex characters and a CRC-32 of them: a scanner recognizes it, and a typo fails without a query.'));
  const apiKey = client(key.token);
  call('posts.list()   with the key (it has posts:read)');
  line(show(await apiKey.posts.list.query()));
  call("posts.create({ title: 'Hello' })   with the key (it lacks posts:write)");
  line(refusal(await refused(apiKey.posts.create.mutate({ title: 'Hello' }))));
  call("posts.create({ title: 'Hello' })   with the session (every ability)");
  line(show(await cli.posts.create.mutate({ title: 'Hello' })));
  call('auth.apiKeys.list()   (never returns the key itself)');
  for (const listed of await cli.auth.apiKeys.list.query()) {
    line(
      `#${listed.id} ${listed.name}  starts ${listed.start}  abilities ${show(listed.abilities)}  last used ${listed.lastUsedAt?.toISOString() ?? 'never'}`,
    );
  }
  call(`auth.apiKeys.revoke({ id: ${key.id} })`);
  await cli.auth.apiKeys.revoke.mutate({ id: key.id });
  call('posts.list()   with the revoked key');
  line(refusal(await refused(apiKey.posts.list.query())));

  step('Log out');
  call('auth.logout()');
  await cli.auth.logout.mutate();
  line(status());
  call('me()   with the old token');
  line(refusal(await refused(cli.me.query())));

  console.log(`\nDone. Open ${BASE_URL} for the same in a browser.`);
}

main().catch((error: unknown) => {
  const cause = error instanceof Error ? (error.cause as { code?: string } | undefined) : undefined;
  if (error instanceof TRPCClientError && !error.data) {
    console.error(`\nCould not reach ${BASE_URL} (${cause?.code ?? error.message}). Start the example app first: npm start`);
  } else if (error instanceof TRPCClientError) {
    console.error(`\nThe server refused: ${refusal(error as TRPCClientError<AppRouter>)}`);
  } else {
    console.error(error);
  }
  process.exit(1);
});
