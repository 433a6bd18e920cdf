import { TRPCClientError, type TRPCClient } from '@trpc/client';
import type { AppRouter } from '../app.js';

/**
 * The page's administration panel: durin's Django admin (ClientAdmin, AuthTokenAdmin) on the
 * `admin.*` procedures. The server decides who is an administrator (`isAdmin` in app.ts); the page
 * only asks once, with `admin.clients.list`, and hides the panel when the answer is "not an admin".
 * Hiding it protects nothing: every admin procedure refuses a non-admin by itself.
 */

type Trpc = TRPCClient<AppRouter>;
type AdminClient = Awaited<ReturnType<Trpc['admin']['clients']['list']['query']>>[number];
type AdminToken = Awaited<ReturnType<Trpc['admin']['tokens']['list']['query']>>['items'][number];

export interface AdminPanelDeps {
  readonly trpc: Trpc;
  /** The page's action runner: clears the messages, shows a failure in the error box. */
  readonly run: (action: () => Promise<void>) => Promise<void>;
  readonly say: (kind: 'error' | 'notice', message: string | null) => void;
  readonly element: <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    text?: string,
    attributes?: Record<string, string>,
  ) => HTMLElementTagNameMap[K];
  readonly formatDate: (date: Date) => string;
}

const $ = (id: string) => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the page`);
  return found;
};

/** A user id as typed: digits are the numeric id the app's User model has; anything else is sent as is. */
const userIdOf = (typed: string): number | string => (/^\d+$/.test(typed) ? Number(typed) : typed);

/** A TTL as typed: bare digits are seconds, anything else ("12h", "30d") is a duration the server parses. */
const ttlOf = (typed: string): number | string => (/^\d+$/.test(typed) ? Number(typed) : typed);

const describeAbilities = (abilities: readonly string[] | null) => (abilities === null ? 'every ability' : abilities.join(', ') || 'none');

const isRefusedAsNonAdmin = (error: unknown) => {
  if (!(error instanceof TRPCClientError)) return false;
  const data = error.data as { code?: string; durinCode?: string } | undefined;
  return data?.code === 'FORBIDDEN' && (data.durinCode === 'ADMIN_REQUIRED' || data.durinCode === 'ADMIN_NOT_CONFIGURED');
};

export function createAdminPanel(deps: AdminPanelDeps) {
  const { trpc, run, say, element, formatDate } = deps;
  // The user whose tokens the panel lists, and the cursor of their next page.
  let shownUser: number | string | null = null;
  let nextCursor: string | null = null;

  function clientRow(client: AdminClient): HTMLTableRowElement {
    const row = element('tr', '', { 'data-client-name': client.name });
    const form = element('form', '', { id: `admin-client-${client.name}`, class: 'inline', 'aria-label': `Edit ${client.name}` });
    const ttl = element('input', '', {
      name: 'tokenTtl',
      size: '8',
      required: '',
      form: form.id,
      'aria-label': `Token TTL of ${client.name}`,
    });
    ttl.value = String(client.tokenTtl);
    const rate = element('input', '', {
      name: 'throttleRate',
      size: '8',
      form: form.id,
      placeholder: 'default',
      'aria-label': `Throttle rate of ${client.name}`,
    });
    rate.value = client.throttleRate;
    const problem = element('span', '', { class: 'inline-error', role: 'alert' });
    form.append(element('button', 'Save', { type: 'submit', class: 'small' }), problem);
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      problem.textContent = '';
      void run(async () => {
        try {
          const updated = await trpc.admin.clients.update.mutate({
            name: client.name,
            tokenTtl: ttlOf(ttl.value.trim()),
            throttleRate: rate.value.trim() || null,
          });
          await loadClients();
          say('notice', `Client ${updated.name} saved: tokens last ${updated.tokenTtl} s, rate ${updated.throttleRate || 'default'}.`);
        } catch (error) {
          // A bad value is the administrator's to fix: say so next to the field, keep what they typed.
          if (!(error instanceof TRPCClientError) || (error.data as { code?: string } | undefined)?.code !== 'BAD_REQUEST') throw error;
          problem.textContent = error.message;
        }
      });
    });
    const ttlCell = element('td');
    ttlCell.append(ttl, ' s');
    const rateCell = element('td');
    rateCell.append(rate);
    const saveCell = element('td');
    saveCell.append(form);
    row.append(element('td', client.name), ttlCell, rateCell, element('td', describeAbilities(client.abilities)), saveCell);
    return row;
  }

  async function loadClients() {
    const clients = await trpc.admin.clients.list.query();
    $('admin-client-rows').replaceChildren(...clients.map(clientRow));
  }

  function tokenRow(token: AdminToken): HTMLTableRowElement {
    const row = element('tr', '', { 'data-token-id': String(token.id), 'data-kind': token.kind });
    const revoke = element('button', 'Revoke', { type: 'button', class: 'small danger' });
    revoke.addEventListener('click', () =>
      run(async () => {
        await trpc.admin.tokens.revoke.mutate({ id: token.id });
        await listTokens(token.userId as number | string);
        say('notice', `Token #${token.id} (${token.client}) of user ${String(token.userId)} revoked.`);
      }),
    );
    const action = element('td');
    action.append(revoke);
    row.append(
      element('td', String(token.id)),
      element('td', token.client),
      element('td', token.kind === 'apiKey' ? 'API key' : 'session', { class: 'token-kind' }),
      element('td', token.name ?? ''),
      element('td', formatDate(token.created)),
      element('td', token.hasExpired ? 'expired' : formatDate(token.expiry)),
      element('td', token.lastUsedAt ? `${formatDate(token.lastUsedAt)}${token.lastIp ? ` from ${token.lastIp}` : ''}` : 'never'),
      action,
    );
    return row;
  }

  /** The user's first page of tokens, or the next one appended (`more`). */
  async function listTokens(userId: number | string, more = false) {
    const page = await trpc.admin.tokens.list.query({ userId, cursor: more ? nextCursor : null, limit: 100 });
    const rows = page.items.map(tokenRow);
    if (more) $('admin-token-rows').append(...rows);
    else $('admin-token-rows').replaceChildren(...rows);
    shownUser = userId;
    nextCursor = page.nextCursor;
    $('admin-tokens-more').hidden = nextCursor === null;
    $('admin-tokens-user').textContent = String(userId);
    $('admin-tokens-result').hidden = false;
    $('admin-tokens-empty').hidden = $('admin-token-rows').childElementCount > 0;
  }

  $('admin-tokens-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const typed = String(new FormData(event.currentTarget as HTMLFormElement).get('userId') ?? '').trim();
    void run(() => listTokens(userIdOf(typed)));
  });
  $('admin-tokens-more').addEventListener('click', () => run(() => listTokens(shownUser!, true)));
  $('admin-revoke-all').addEventListener('click', () =>
    run(async () => {
      const userId = shownUser!;
      const { revoked } = await trpc.admin.users.revokeAll.mutate({ userId });
      await listTokens(userId);
      say('notice', `${revoked === 1 ? '1 token' : `${revoked} tokens`} of user ${String(userId)} revoked: every session and API key.`);
    }),
  );

  return {
    /** Shows the panel when the server answers this user as an administrator. */
    async show() {
      try {
        await loadClients();
      } catch (error) {
        if (!isRefusedAsNonAdmin(error)) throw error;
        this.hide();
        return;
      }
      $('admin').hidden = false;
    },
    hide() {
      $('admin').hidden = true;
      $('admin-client-rows').replaceChildren();
      $('admin-token-rows').replaceChildren();
      $('admin-tokens-result').hidden = true;
      shownUser = null;
      nextCursor = null;
    },
  };
}
