import { Op, UniqueConstraintError, type WhereOptions } from 'sequelize';
import { durinError } from '../errors.js';
import { isDurinConfigError } from '../config/messages.js';
import type { DurinAuthToken, DurinAuthTokenAttributes, DurinClient, DurinModels, DurinTokenKind } from '../models/types.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import type { AbilityVocabulary } from './abilities.js';
import { findClientByName } from './clientName.js';
import { validateClientInput, type CreateClientInput, type DurinClients } from './clients.js';
import type { DurinAdminAction, DurinEvents } from './events.js';
import { isExpired, now } from './time.js';
import type { TokenLifecycle } from './tokens.js';
import { decodeTokenCursor, encodeTokenCursor, tokenFilterKey } from './tokenCursor.js';

/**
 * durin's Django admin (`ClientAdmin`, `AuthTokenAdmin`) as operations: the admin router and the
 * CLI are thin callers of these. Every revocation goes through `tokens.ts`'s funnel, so the cache,
 * the bus and open subscriptions hear of it; every change emits `adminAction` after its write.
 * Errors are tRPC errors from the one table, so app code gets what the router answers.
 */

/** A client as the admin lists it: its fields as stored (`throttleRate` "" = the default rate). */
export interface DurinAdminClient {
  name: string;
  /** Seconds. */
  tokenTtl: number;
  throttleRate: string;
  abilities: readonly string[] | null;
}

/** A token as the admin lists it: never the token or its digest. */
export interface DurinAdminToken {
  id: number;
  userId: unknown;
  /** The client's name. */
  client: string;
  kind: DurinTokenKind;
  /** The session's or key's name, or null. */
  name: string | null;
  created: Date;
  expiry: Date;
  hasExpired: boolean;
  lastUsedAt: Date | null;
  lastIp: string | null;
  userAgent: string | null;
  abilities: readonly string[] | null;
  /** An API key's first characters after the prefix (null for sessions). */
  start: string | null;
}

/** What `tokens.list` filters by; every field is optional. */
export interface DurinTokenFilter {
  userId?: string | number | undefined;
  client?: string | undefined;
  kind?: DurinTokenKind | undefined;
  /** true: only expired tokens; false: only live ones; omitted: both. */
  expired?: boolean | undefined;
}

export interface ListTokensInput extends DurinTokenFilter {
  /** `nextCursor` of the previous page, for the same filter. */
  cursor?: string | null | undefined;
  /** 1 to 100. @default 50 */
  limit?: number | undefined;
}

export interface DurinTokenPage {
  items: DurinAdminToken[];
  /** Pass it back for the next page; null on the last one. */
  nextCursor: string | null;
}

export interface UpdateClientInput<TAbility extends string = string> {
  name: string;
  tokenTtl?: number | string | undefined;
  /** Empty or null: the default rate. */
  throttleRate?: string | null | undefined;
  abilities?: readonly TAbility[] | null | undefined;
}

/** Who acts: the administrator's user id (`null` for the CLI), as `adminAction` reports it. */
export interface DurinAdminActor {
  readonly id: unknown;
}

export interface DurinAdmin {
  listClients(): Promise<DurinAdminClient[]>;
  createClient(actor: DurinAdminActor, input: CreateClientInput): Promise<DurinAdminClient>;
  /** Changes a client; its new TTL and rate hold at once for new requests, in every process. */
  updateClient(actor: DurinAdminActor, input: UpdateClientInput): Promise<DurinAdminClient>;
  /** Deletes a client and revokes its tokens (reason `clientDeleted`). */
  deleteClient(actor: DurinAdminActor, name: string): Promise<void>;
  listTokens(input?: ListTokensInput): Promise<DurinTokenPage>;
  /** Revokes one token of any user (reason `adminRevoked`). */
  revokeToken(actor: DurinAdminActor, id: number): Promise<void>;
  /** Revokes every token of a user, sessions and API keys (reason `adminRevoked`). */
  revokeUser(actor: DurinAdminActor, userId: string | number): Promise<{ revoked: number }>;
}

export interface AdminDeps<TUser> {
  readonly models: DurinModels;
  readonly settings: ResolvedDurinSettings;
  readonly tokens: TokenLifecycle<TUser>;
  readonly clients: DurinClients;
  readonly events: DurinEvents<TUser>;
  readonly vocabulary: AbilityVocabulary;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;

const clientView = (client: DurinClient): DurinAdminClient => ({
  name: client.name,
  tokenTtl: Number(client.tokenTtl),
  throttleRate: client.throttleRate,
  abilities: client.abilities ?? null,
});

const tokenView = (row: DurinAuthToken): DurinAdminToken => ({
  id: Number(row.id),
  userId: row.userId,
  client: row.client.name,
  kind: row.kind,
  name: row.name ?? null,
  created: row.created,
  expiry: row.expiry,
  hasExpired: isExpired(row.expiry),
  lastUsedAt: row.lastUsedAt ?? null,
  lastIp: row.lastIp ?? null,
  userAgent: row.userAgent ?? null,
  abilities: row.abilities ?? null,
  start: row.start ?? null,
});

/** A client's fields checked as `clients.create` checks them, answered as BAD_REQUEST naming the field. */
function validated(input: CreateClientInput, settings: ResolvedDurinSettings, vocabulary: AbilityVocabulary) {
  try {
    return validateClientInput(input, settings.defaultTokenTtl, vocabulary);
  } catch (error) {
    if (isDurinConfigError(error) && error.field !== undefined && error.problem !== undefined) {
      throw durinError('ADMIN_INPUT_INVALID', { field: error.field, problem: error.problem });
    }
    throw error;
  }
}

export function createAdmin<TUser>(deps: AdminDeps<TUser>): DurinAdmin {
  const { models, settings, tokens, clients, events, vocabulary } = deps;
  const { Client, AuthToken } = models;
  const audit = (actor: DurinAdminActor, action: DurinAdminAction['action'], target: unknown) => {
    events.emit('adminAction', { actorId: actor.id ?? null, action, target: String(target) });
  };

  return {
    async listClients() {
      return (await clients.list()).map(clientView);
    },

    async createClient(actor, input) {
      const values = validated(input, settings, vocabulary);
      let client: DurinClient;
      try {
        client = await Client.create(values);
      } catch (error) {
        if (error instanceof UniqueConstraintError) throw durinError('CLIENT_EXISTS', { name: values.name });
        throw error;
      }
      audit(actor, 'clients.create', client.name);
      return clientView(client);
    },

    async updateClient(actor, input) {
      const updated = await Client.sequelize!.transaction(async (transaction) => {
        const client = await Client.findOne({ where: { name: input.name }, lock: transaction.LOCK.UPDATE, transaction });
        if (!client) return null;
        const values = validated(
          {
            name: client.name,
            tokenTtl: input.tokenTtl ?? Number(client.tokenTtl),
            throttleRate: input.throttleRate === undefined ? client.throttleRate : input.throttleRate,
            abilities: input.abilities === undefined ? (client.abilities ?? null) : input.abilities,
          },
          settings,
          vocabulary,
        );
        await client.update({ tokenTtl: values.tokenTtl, throttleRate: values.throttleRate, abilities: values.abilities }, { transaction });
        return client;
      });
      if (!updated) throw durinError('ADMIN_NOT_FOUND');
      // Committed: cached lookups of its tokens still carry the old row, so they go, here and elsewhere.
      await tokens.clientChanged(updated.id);
      audit(actor, 'clients.update', updated.name);
      return clientView(updated);
    },

    async deleteClient(actor, name) {
      // clients.delete reads the tokens and deletes them with the client in one locked transaction,
      // then reports each through the funnel: none is left in a cache or an open subscription.
      if (!(await clients.delete(name))) throw durinError('ADMIN_NOT_FOUND');
      audit(actor, 'clients.delete', name);
    },

    async listTokens(input = {}) {
      const limit = input.limit ?? DEFAULT_PAGE_SIZE;
      const filterKey = tokenFilterKey(input);
      const where: WhereOptions<DurinAuthTokenAttributes> & Record<string, unknown> = {};
      if (input.cursor) where.id = { [Op.gt]: decodeTokenCursor(input.cursor, filterKey) };
      if (input.userId !== undefined) where.userId = input.userId;
      if (input.kind !== undefined) where.kind = input.kind;
      if (input.expired !== undefined) where.expiry = { [input.expired ? Op.lt : Op.gte]: new Date(now()) };
      if (input.client !== undefined) {
        const client = await findClientByName(Client, input.client);
        if (!client) throw durinError('CLIENT_UNKNOWN');
        where.clientId = client.id;
      }
      const rows = (await AuthToken.findAll({
        where,
        attributes: { exclude: ['tokenHash'] },
        include: [{ model: Client, as: 'client', attributes: ['name'] }],
        order: [['id', 'ASC']],
        limit: limit + 1,
      })) as DurinAuthToken[];
      const items = rows.slice(0, limit).map(tokenView);
      const last = items.at(-1);
      return { items, nextCursor: rows.length > limit && last ? encodeTokenCursor(last.id, filterKey) : null };
    },

    async revokeToken(actor, id) {
      // By id: the funnel reads the row's digest in its own transaction, so a session rotated
      // since the admin's list was read is still the one revoked.
      if ((await tokens.revokeWhere({ id }, 'adminRevoked')) === 0) throw durinError('ADMIN_NOT_FOUND');
      audit(actor, 'tokens.revoke', id);
    },

    async revokeUser(actor, userId) {
      const revoked = await tokens.revokeWhere({ userId }, 'adminRevoked');
      audit(actor, 'users.revokeAll', userId);
      return { revoked };
    },
  };
}
