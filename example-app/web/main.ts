import { createTRPCClient, createWSClient, httpLink, TRPCClientError, wsLink } from '@trpc/client';
import superjson from 'superjson';
import { createDurinAuth, type DurinAuthState } from 'trpc-durin/client';
import { ABILITIES } from '../abilities.js';
import type { AppRouter } from '../app.js';
import { createAdminPanel } from './admin.js';
import { deviceName, sessionDetailsCell } from './sessionDetails.js';

/**
 * The example page: plain DOM and a tRPC client. It logs in with `transport: 'cookie'`, so the
 * token lives in an HttpOnly cookie that the browser sends and this script never sees: an XSS on
 * the page cannot take it. `trpc-durin/client` keeps the rest in localStorage (the expiry only, no
 * token): it renews the session before it expires, signs the page out when the server says the
 * session is gone, and tells the other tabs of this browser, which share the cookie.
 */

const auth = createDurinAuth({ storage: localStorage, routerPath: 'auth', renewBefore: '5m' });

const trpc = createTRPCClient<AppRouter>({
  links: [
    auth.link(),
    // Same origin: fetch sends the session cookie by itself; `headers` stays empty in cookie mode.
    httpLink({ url: location.origin, transformer: superjson, headers: auth.headers }),
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
    // The link already signed out on "Invalid token." and the like; any other refusal of the
    // session (no cookie any more, for one) ends it here too.
    if (isClientError(error) && error.data?.code === 'UNAUTHORIZED' && auth.state.status === 'signedIn') auth.signOut();
  } finally {
    document.body.removeAttribute('aria-busy');
  }
}

// --- views -------------------------------------------------------------------------------------

function showLogin() {
  $('app-view').hidden = true;
  $('login-view').hidden = false;
  stopWatchingSessions();
  hideNewApiKey();
  $('api-key-rows').replaceChildren();
  $('try-result').textContent = '';
  adminPanel.hide();
}

async function showApp() {
  const me = await trpc.me.query();
  $('me-username').textContent = `${me.username} (id ${me.id})`;
  $('me-client').textContent = me.client;
  $('me-expiry').textContent = formatDate(me.expiry);
  $('login-view').hidden = true;
  $('app-view').hidden = false;
  await Promise.all([loadSessions(), loadApiKeys(), adminPanel.show()]);
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

// --- API keys ----------------------------------------------------------------------------------

type ApiKey = Awaited<ReturnType<typeof trpc.auth.apiKeys.list.query>>[number];

const describeAbilities = (abilities: readonly string[] | null) =>
  abilities === null ? 'every ability' : abilities.length ? abilities.join(', ') : 'none';

function hideNewApiKey() {
  $('api-key-new').hidden = true;
  $('api-key-token').textContent = '';
  $('api-key-new-name').textContent = '';
}

async function loadApiKeys() {
  const keys = await trpc.auth.apiKeys.list.query();
  $('api-key-rows').replaceChildren(...keys.map(apiKeyRow));
  $('api-keys-empty').hidden = keys.length > 0;
}

function apiKeyRow(key: ApiKey): HTMLTableRowElement {
  const row = element('tr', '', { 'data-api-key-id': String(key.id) });
  const name = element('td', key.name, { class: 'api-key-name' });
  const start = element('td');
  start.append(element('code', key.start ? `${key.start}…` : '(older key)'));
  const actions = element('td');
  const rename = element('button', 'Rename', { type: 'button', class: 'small' });
  rename.addEventListener('click', () => editName(name, key));
  const revoke = element('button', 'Revoke', { type: 'button', class: 'small danger' });
  revoke.addEventListener('click', () =>
    run(async () => {
      await trpc.auth.apiKeys.revoke.mutate({ id: key.id });
      if ($('api-key-new-name').textContent === key.name) hideNewApiKey();
      await loadApiKeys();
      say('notice', `API key "${key.name}" revoked: it no longer works.`);
    }),
  );
  actions.append(rename, ' ', revoke);
  row.append(
    name,
    start,
    element('td', describeAbilities(key.abilities), { class: 'api-key-abilities' }),
    element('td', key.lastUsedAt ? `${formatDate(key.lastUsedAt)}${key.lastIp ? ` from ${key.lastIp}` : ''}` : 'never', {
      class: 'api-key-last-used',
    }),
    element('td', key.hasExpired ? 'expired' : formatDate(key.expiry)),
    actions,
  );
  return row;
}

/** Rename in place: the name cell becomes a small form until saved. */
function editName(cell: HTMLTableCellElement, key: ApiKey) {
  const form = element('form', '', { 'aria-label': `Rename ${key.name}` });
  const input = element('input', '', { name: 'name', maxlength: '64', required: '', 'aria-label': 'New name' });
  input.value = key.name;
  form.append(input, element('button', 'Save', { type: 'submit', class: 'small' }));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run(async () => {
      const renamed = await trpc.auth.apiKeys.update.mutate({ id: key.id, name: input.value });
      await loadApiKeys();
      say('notice', `API key "${key.name}" renamed to "${renamed.name}".`);
    });
  });
  cell.replaceChildren(form);
  input.select();
}

// One checkbox per ability the app declares.
$('api-key-abilities').append(
  ...ABILITIES.map((ability) => {
    const label = element('label');
    label.append(element('input', '', { type: 'checkbox', name: 'abilities', value: ability }), ability);
    return label;
  }),
);

// The administration panel (admin.ts): shown when the server answers this user as an admin.
const adminPanel = createAdminPanel({ trpc, run, say, element, formatDate });

// --- actions -----------------------------------------------------------------------------------

$<HTMLFormElement>('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData(event.currentTarget as HTMLFormElement);
  const client = String(form.get('client'));
  void run(async () => {
    loggingIn = true;
    try {
      // The answer carries the expiry, not the token: that is in the HttpOnly cookie it set.
      const result = await trpc.auth.login.mutate({
        username: String(form.get('username')),
        password: String(form.get('password')),
        client,
        name: deviceName(navigator.userAgent),
        transport: 'cookie',
      });
      await showApp();
      say('notice', `Logged in as ${result.user?.username ?? '?'} on the ${client} client.`);
    } finally {
      loggingIn = false;
    }
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

// "Log out other sessions": every session in the list but this page's.
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
    showLogin();
    say('notice', 'Logged out: this session no longer works.');
  }),
);

$('logout-all').addEventListener('click', () =>
  run(async () => {
    await trpc.auth.logoutAll.mutate();
    showLogin();
    say('notice', 'Logged out everywhere: every session and every API key were revoked.');
  }),
);

$<HTMLFormElement>('api-key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const formElement = event.currentTarget as HTMLFormElement;
  const form = new FormData(formElement);
  const abilities = form.getAll('abilities').map(String);
  const expiresIn = String(form.get('expiresIn') ?? '');
  void run(async () => {
    if (abilities.length === 0) throw new Error('Choose at least one ability for the key.');
    const key = await trpc.auth.apiKeys.create.mutate({ name: String(form.get('name')), abilities, expiresIn: expiresIn || null });
    formElement.reset();
    $('api-key-new-name').textContent = key.name;
    $('api-key-token').textContent = key.token;
    $('api-key-new').hidden = false;
    await loadApiKeys();
  });
});

$('api-key-copy').addEventListener('click', () =>
  run(async () => {
    await navigator.clipboard.writeText($('api-key-token').textContent ?? '');
    say('notice', 'API key copied to the clipboard.');
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
// Over a WebSocket on the same origin: the upgrade request carries the session cookie (and the
// server checks it comes from this page's origin), so no token travels in a message or in a URL.
// The socket is opened once the page shows the app and closed at sign-out.

let liveSessions: { stop(): void } | null = null;

function watchSessions() {
  stopWatchingSessions();
  const wsClient = createWSClient({ url: location.origin.replace(/^http/, 'ws'), connectionParams: auth.connectionParams });
  const detach = auth.attach(wsClient);
  // No auth.link() here: its sign-out would end this subscription before onError could say why.
  const live = createTRPCClient<AppRouter>({ links: [wsLink({ client: wsClient, transformer: superjson })] });
  const subscription = live.auth.sessions.watch.subscribe(undefined, {
    onData: (sessions) => renderSessions(sessions),
    onError: (error) => {
      stopWatchingSessions();
      // This session stopped working (revoked from another browser, expired): say so at once,
      // here and in the other tabs.
      if (isClientError(error) && error.data?.code === 'UNAUTHORIZED') {
        const code = (error.data as { durinCode?: string }).durinCode;
        auth.signOut(code === 'TOKEN_EXPIRED' || code === 'USER_INACTIVE' ? code : 'TOKEN_INVALID');
        showLogin();
        say('notice', null);
        say('error', error.message);
      }
    },
  });
  liveSessions = {
    stop() {
      detach();
      subscription.unsubscribe();
      void wsClient.close();
    },
  };
}

function stopWatchingSessions() {
  liveSessions?.stop();
  liveSessions = null;
}

// --- other tabs --------------------------------------------------------------------------------
// The tabs of this browser share the cookie, so they share the session: a sign-in or sign-out in
// one (or a refusal that ended it) reaches the others through the client's storage sync.

let loggingIn = false;

auth.onChange((state: DurinAuthState) => {
  if (state.status === 'signedOut') {
    if (!$('app-view').hidden) showLogin();
    return;
  }
  if (state.expiry) $('me-expiry').textContent = formatDate(state.expiry);
  if ($('app-view').hidden && !loggingIn) {
    void run(async () => {
      await showApp();
      say('notice', 'Signed in from another tab.');
    });
  }
});

// --- start -------------------------------------------------------------------------------------

if (auth.state.status === 'signedIn') void run(showApp);
else showLogin();
