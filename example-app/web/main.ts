import { createTRPCClient, createWSClient, httpLink, TRPCClientError, wsLink } from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '../app.js';
import { deviceName, sessionDetailsCell } from './sessionDetails.js';

/**
 * The example page: plain DOM and a tRPC client. The token lives in sessionStorage (this tab
 * only) and goes out as `Authorization: Token <token>` on every call.
 */

const TOKEN_KEY = 'trpc-durin-example.token';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);

const trpc = createTRPCClient<AppRouter>({
  links: [
    httpLink({
      url: location.origin,
      transformer: superjson,
      headers: () => (token ? { authorization: `Token ${token}` } : {}),
    }),
  ],
});

// --- DOM helpers -------------------------------------------------------------------------------

function $<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing from the page`);
  return element as T;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, text = '', attributes: Record<string, string> = {}) {
  const node = document.createElement(tag);
  node.textContent = text;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

const formatDate = (date: Date) => date.toLocaleString();

function say(kind: 'error' | 'notice', message: string | null) {
  const box = $(kind);
  box.textContent = message ?? '';
  box.hidden = !message;
}

function setToken(value: string | null) {
  token = value;
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

type ClientError = TRPCClientError<AppRouter>;
const isClientError = (error: unknown): error is ClientError => error instanceof TRPCClientError;

/** Runs a user action: clears old messages, shows any failure. A rejected token means "log in again". */
async function run(action: () => Promise<void>) {
  say('error', null);
  say('notice', null);
  document.body.setAttribute('aria-busy', 'true');
  try {
    await action();
  } catch (error) {
    say('error', isClientError(error) ? error.message : String(error));
    if (isClientError(error) && error.data?.code === 'UNAUTHORIZED' && token) {
      setToken(null);
      showLogin();
    }
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

// --- views -------------------------------------------------------------------------------------

function showLogin() {
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  stopWatchingSessions();
  $('api-key-new').hidden = true;
  $('api-key-token').textContent = '';
  $('try-result').textContent = '';
}

async function showApp() {
  const me = await trpc.me.query();
  $('me-username').textContent = `${me.username} (id ${me.id})`;
  $('me-client').textContent = me.client;
  $('me-expiry').textContent = formatDate(me.expiry);
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  await Promise.all([loadSessions(), loadApiKey()]);
  watchSessions();
}

async function loadSessions() {
  renderSessions(await trpc.auth.sessions.list.query());
}

function renderSessions(sessions: Awaited<ReturnType<typeof trpc.auth.sessions.list.query>>) {
  const rows = sessions.map((session) => {
    const row = element('tr', '', { 'data-session-id': String(session.id), 'data-client': session.client });
    row.append(
      element('td', String(session.id)),
      element('td', session.client),
      sessionDetailsCell(session),
      element('td', formatDate(session.created)),
      element('td', session.hasExpired ? 'expired' : formatDate(session.expiry)),
    );
    const action = element('td');
    if (session.isCurrent) {
      action.append(element('span', 'this page', { class: 'current' }));
    } else {
      const button = element('button', 'Revoke', { type: 'button', class: 'small danger' });
      button.addEventListener('click', () =>
        run(async () => {
          await trpc.auth.sessions.revoke.mutate({ id: session.id });
          await loadSessions();
          say('notice', `Session #${session.id} (${session.client}) revoked.`);
        }),
      );
      action.append(button);
    }
    row.append(action);
    return row;
  });
  $('session-rows').replaceChildren(...rows);
}

async function loadApiKey() {
  const status = $('api-key-status');
  try {
    const key = await trpc.auth.apiAccess.get.query();
    status.textContent = `You have an API key (client ${key.client}), created ${formatDate(key.created)}, ${
      key.hasExpired ? 'expired' : `expires ${formatDate(key.expiry)}`
    }.`;
    $<HTMLButtonElement>('api-key-create').disabled = !key.hasExpired;
    $<HTMLButtonElement>('api-key-revoke').disabled = false;
  } catch (error) {
    if (!isClientError(error) || error.data?.code !== 'NOT_FOUND') throw error;
    status.textContent = 'You have no API key.';
    $<HTMLButtonElement>('api-key-create').disabled = false;
    $<HTMLButtonElement>('api-key-revoke').disabled = true;
  }
}

// --- actions -----------------------------------------------------------------------------------

$<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.currentTarget as HTMLFormElement);
  const client = String(form.get('client'));
  void run(async () => {
    const result = await trpc.auth.login.mutate({
      username: String(form.get('username')),
      password: String(form.get('password')),
      client,
      name: deviceName(navigator.userAgent),
    });
    setToken(result.token);
    await showApp();
    say('notice', `Logged in as ${result.user?.username ?? '?'} on the ${client} client.`);
  });
});

$('refresh').addEventListener('click', () =>
  run(async () => {
    const { expiry } = await trpc.auth.refresh.mutate();
    $('me-expiry').textContent = formatDate(expiry);
    await loadSessions();
    say('notice', `Token refreshed: it now expires ${formatDate(expiry)}.`);
  }),
);

$('reload-sessions').addEventListener('click', () => run(loadSessions));

// "Log out other sessions" (DESIGN §13): every session in the list but this page's.
$('logout-others').addEventListener('click', () =>
  run(async () => {
    const { revoked } = await trpc.auth.sessions.revokeOthers.mutate();
    await loadSessions();
    say('notice', revoked === 1 ? '1 other session logged out.' : `${revoked} other sessions logged out.`);
  }),
);

$('logout').addEventListener('click', () =>
  run(async () => {
    await trpc.auth.logout.mutate();
    setToken(null);
    showLogin();
    say('notice', 'Logged out: this token no longer works.');
  }),
);

$('logout-all').addEventListener('click', () =>
  run(async () => {
    await trpc.auth.logoutAll.mutate();
    setToken(null);
    showLogin();
    say('notice', 'Logged out everywhere: every session and your API key were revoked.');
  }),
);

$('api-key-create').addEventListener('click', () =>
  run(async () => {
    const key = await trpc.auth.apiAccess.create.mutate();
    await loadApiKey();
    $('api-key-token').textContent = key.token;
    $('api-key-new').hidden = false;
  }),
);

$('api-key-copy').addEventListener('click', () =>
  run(async () => {
    await navigator.clipboard.writeText($('api-key-token').textContent ?? '');
    say('notice', 'API key copied to the clipboard.');
  }),
);

$('api-key-revoke').addEventListener('click', () =>
  run(async () => {
    await trpc.auth.apiAccess.revoke.mutate();
    $('api-key-new').hidden = true;
    $('api-key-token').textContent = '';
    await loadApiKey();
    say('notice', 'API key revoked.');
  }),
);

// Client permissions and throttling: the answer, or the refusal, goes in the output line.
const tries: Record<string, () => Promise<string>> = {
  onlyWeb: () => trpc.onlyWeb.query(),
  noWeb: () => trpc.noWeb.query(),
  throttled: async () => {
    const result = await trpc.throttled.query();
    return `OK (${result.client}) at ${result.at.toLocaleTimeString()}`;
  },
};

document.querySelectorAll<HTMLButtonElement>('[data-try]').forEach((button) => {
  const name = button.dataset.try ?? '';
  button.addEventListener('click', () =>
    run(async () => {
      const output = $('try-result');
      try {
        output.textContent = `${name}: ${await tries[name]!()}`;
      } catch (error) {
        if (!isClientError(error) || error.data?.code === 'UNAUTHORIZED') throw error;
        output.textContent = `${name}: ${error.data?.code ?? 'error'}: ${error.message}`;
      }
    }),
  );
});

// --- live session list (auth.sessions.watch) ---------------------------------------------------
// Over a WebSocket rather than SSE: wsLink sends connectionParams (the token) as the socket's first
// message, where httpSubscriptionLink would put them in the URL's query string, which proxies and
// access logs keep. The socket is opened after login with this tab's token and closed at logout.

let liveSessions: { stop(): void } | null = null;

function watchSessions() {
  stopWatchingSessions();
  if (!token) return;
  const current = token;
  const wsClient = createWSClient({
    url: location.origin.replace(/^http/, 'ws'),
    connectionParams: () => ({ authorization: `Token ${current}` }),
  });
  const live = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  const subscription = live.auth.sessions.watch.subscribe(undefined, {
    onData: (sessions) => renderSessions(sessions),
    onError: (error) => {
      stopWatchingSessions();
      // This token stopped working (revoked from another browser, expired): say so at once.
      if (isClientError(error) && error.data?.code === 'UNAUTHORIZED' && token === current) {
        setToken(null);
        showLogin();
        say('notice', null);
        say('error', error.message);
      }
    },
  });
  liveSessions = {
    stop() {
      subscription.unsubscribe();
      void wsClient.close();
    },
  };
}

function stopWatchingSessions() {
  liveSessions?.stop();
  liveSessions = null;
}

// --- start -------------------------------------------------------------------------------------

if (token) void run(showApp);
else showLogin();
