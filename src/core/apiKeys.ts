import { Op } from 'sequelize';
import { DURATION_FORMS, parseDuration } from '../config/duration.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import { durinError } from '../errors.js';
import { DURIN_CONFIG_PROBLEMS, describeValue } from '../config/messages.js';
import type { DurinAuthToken, DurinClient, DurinModels } from '../models/types.js';
import { abilityProblem, missingAbility, normalizeAbilities, type AbilityVocabulary } from './abilities.js';
import { isExpired, now } from './time.js';
import type { DurinIssuedToken, TokenLifecycle } from './tokens.js';

/**
 * Many named API keys per user (Sanctum's personal access tokens, better-auth's api-key plugin) on
 * the `apiAccessClientName` client. The rules live here; the router and `durin.apiKeys` are thin
 * callers, and every write goes through `tokens.ts` (issue, change, revoke), so caches, the bus and
 * open subscriptions hear of each.
 *
 * Errors are tRPC errors from the one table (BAD_REQUEST naming the field, CONFLICT, NOT_FOUND,
 * FORBIDDEN), so app code calling `durin.apiKeys` gets what the router answers.
 */

/** An API key as lists show it: never the token or its digest. */
export interface DurinApiKey {
  id: number;
  /** The key's name; the durin-style key of `apiAccess.create` shows as "API access". */
  name: string;
  /** What it may do: null = every ability. */
  abilities: readonly string[] | null;
  created: Date;
  expiry: Date;
  hasExpired: boolean;
  /** Its first 8 characters after the prefix (null for keys issued before API keys had one). */
  start: string | null;
  lastUsedAt: Date | null;
  lastIp: string | null;
}

/** What `create` answers: the key, with its token shown this once. */
export interface DurinCreatedApiKey {
  id: number;
  name: string;
  abilities: readonly string[] | null;
  created: Date;
  expiry: Date;
  start: string | null;
  token: string;
}

export interface CreateApiKeyInput {
  name: string;
  /** Omitted: the abilities of the token that creates the key. */
  abilities?: readonly string[] | null | undefined;
  /** A duration ("90d", seconds); omitted or null: the client's TTL. At most `apiKeyMaxLifetime`. */
  expiresIn?: number | string | null | undefined;
}

export interface UpdateApiKeyInput {
  id: number;
  name?: string | undefined;
  abilities?: readonly string[] | null | undefined;
}

/** Who acts: the user, and the abilities of the token they act with (null = every ability). */
export interface ApiKeyActor<TUser> {
  readonly user: TUser;
  readonly abilities: readonly string[] | null;
}

export interface ApiKeyDeps<TUser> {
  readonly models: DurinModels;
  readonly settings: ResolvedDurinSettings;
  readonly tokens: TokenLifecycle<TUser>;
  readonly vocabulary: AbilityVocabulary;
  readonly userId: (user: TUser) => unknown;
}

/** The name `apiKeys.list` gives the key `apiAccess.create` issued (it has none of its own). */
export const API_ACCESS_KEY_NAME = 'API access';
const MAX_NAME = 64;

const invalid = (field: string, problem: string) => durinError('API_KEY_INPUT_INVALID', { field, problem });

function checkName(input: unknown): string {
  const name = typeof input === 'string' ? input.trim() : '';
  if (name.length === 0 || name.length > MAX_NAME) throw invalid('name', DURIN_CONFIG_PROBLEMS.apiKeyName(describeValue(input)));
  return name;
}

export function createApiKeys<TUser>(deps: ApiKeyDeps<TUser>) {
  const { models, settings, tokens, vocabulary, userId } = deps;
  const { AuthToken, Client } = models;

  async function apiClient(): Promise<DurinClient> {
    const name = settings.apiAccessClientName;
    if (!name) throw durinError('API_ACCESS_NOT_CONFIGURED');
    const client = await Client.findOne({ where: { name } });
    if (!client) throw durinError('API_ACCESS_CLIENT_MISSING', { client: name });
    return client;
  }

  function checkAbilities(input: unknown, actor: ApiKeyActor<TUser>): readonly string[] | null {
    const problem = input === null ? null : abilityProblem(input, vocabulary);
    if (problem) throw invalid('abilities', problem);
    const abilities = normalizeAbilities(input as readonly string[] | null);
    // No escalation: a key never gets what the token creating it lacks.
    const missing = missingAbility(abilities, actor.abilities);
    if (missing !== null) throw durinError('ABILITY_MISSING', { ability: missing });
    return abilities;
  }

  function checkLifetime(input: unknown, client: DurinClient): number {
    const max = settings.apiKeyMaxLifetime;
    if (input === undefined || input === null) return max === null ? Number(client.tokenTtl) : Math.min(Number(client.tokenTtl), max);
    const seconds = parseDuration(input);
    if (seconds === null) throw invalid('expiresIn', DURIN_CONFIG_PROBLEMS.durationGot(DURATION_FORMS, describeValue(input)));
    if (max !== null && seconds > max) throw invalid('expiresIn', DURIN_CONFIG_PROBLEMS.atMostSeconds(max, describeValue(input)));
    return seconds;
  }

  const liveKeys = (owner: unknown, client: DurinClient) => ({
    userId: owner,
    clientId: client.id,
    kind: 'apiKey' as const,
    expiry: { [Op.gte]: new Date(now()) },
  });

  /** Refuses `name` when another live key of `owner` has it (`except`: the key being renamed). */
  async function checkNameFree(owner: unknown, client: DurinClient, key: { name: string; except?: number }): Promise<void> {
    const { name, except } = key;
    const where = { ...liveKeys(owner, client), name, ...(except === undefined ? {} : { id: { [Op.ne]: except } }) };
    if ((await AuthToken.count({ where })) > 0) throw durinError('API_KEY_NAME_TAKEN', { name });
  }

  /** One of the actor's keys by id (the `apiAccess` key included); NOT_FOUND for anyone else's. */
  async function findKey(actor: ApiKeyActor<TUser>, id: number, client: DurinClient): Promise<DurinAuthToken<TUser>> {
    const found = await AuthToken.findOne({ where: { id, userId: userId(actor.user), clientId: client.id } });
    if (!found) throw durinError('API_KEY_NOT_FOUND');
    return found as DurinAuthToken<TUser>;
  }

  const view = (row: DurinAuthToken): DurinApiKey => ({
    id: Number(row.id),
    name: row.name ?? API_ACCESS_KEY_NAME,
    abilities: row.abilities ?? null,
    created: row.created,
    expiry: row.expiry,
    hasExpired: isExpired(row.expiry),
    start: row.start ?? null,
    lastUsedAt: row.lastUsedAt ?? null,
    lastIp: row.lastIp ?? null,
  });

  return {
    async create(actor: ApiKeyActor<TUser>, input: CreateApiKeyInput): Promise<DurinCreatedApiKey> {
      const name = checkName(input.name);
      const client = await apiClient();
      const abilities = checkAbilities(
        input.abilities === undefined ? (actor.abilities ?? client.abilities ?? null) : input.abilities,
        actor,
      );
      const ttl = checkLifetime(input.expiresIn, client);
      const owner = userId(actor.user);
      if ((await AuthToken.count({ where: liveKeys(owner, client) })) >= settings.apiKeysPerUser) throw durinError('API_KEY_LIMIT');
      await checkNameFree(owner, client, { name });
      const { token, auth }: DurinIssuedToken<TUser> = await tokens.issueKey(actor.user, client, { name, abilities, ttl });
      return { id: Number(auth.id), name, abilities, created: auth.created, expiry: auth.expiry, start: auth.start, token };
    },

    /** The actor's keys on the API client (the `apiAccess` key too), by id. */
    async list(actor: ApiKeyActor<TUser>): Promise<DurinApiKey[]> {
      const client = await apiClient();
      const rows = await AuthToken.findAll({ where: { userId: userId(actor.user), clientId: client.id }, order: [['id', 'ASC']] });
      return rows.map(view);
    },

    async update(actor: ApiKeyActor<TUser>, input: UpdateApiKeyInput): Promise<DurinApiKey> {
      const name = input.name === undefined ? undefined : checkName(input.name);
      const client = await apiClient();
      const abilities = input.abilities === undefined ? undefined : checkAbilities(input.abilities, actor);
      const key = await findKey(actor, input.id, client);
      if (name !== undefined && key.kind === 'apiKey') await checkNameFree(key.userId, client, { name, except: Number(key.id) });
      const changes = { ...(name === undefined ? {} : { name }), ...(abilities === undefined ? {} : { abilities }) };
      if (!(await tokens.updateKey(key, changes))) throw durinError('API_KEY_NOT_FOUND');
      return view(key);
    },

    async revoke(actor: ApiKeyActor<TUser>, id: number): Promise<void> {
      const key = await findKey(actor, id, await apiClient());
      await tokens.revoke(key, 'apiKeyRevoked');
    },
  };
}

export type DurinApiKeys<TUser> = ReturnType<typeof createApiKeys<TUser>>;
