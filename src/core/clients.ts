import { UniqueConstraintError } from 'sequelize';
import { DURATION_FORMS, parseDuration } from '../config/duration.js';
import { DURIN_CONFIG_MESSAGES, DURIN_CONFIG_PROBLEMS, DurinConfigError, invalidConfig } from '../config/messages.js';
import type { DurinClient, DurinModels } from '../models/types.js';
import { RATE_FORM, parseRate } from '../config/rate.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import type { TokenLifecycle } from './tokens.js';
import { parseAbilities, type AbilityVocabulary } from './abilities.js';

/**
 * `durin.clients`: the API clients (web, mobile, cli, api...), each with its token TTL and rate.
 * Input is validated here, so the router, the CLI and app code get the same messages.
 */

export interface DurinCreateClientInput<TAbility extends string = string> {
  /** Unique, 1 to 64 characters. */
  name: string;
  /** Lifetime of the client's tokens: seconds or "14d". @default settings.defaultTokenTtl */
  tokenTtl?: number | string | undefined;
  /** Throttle rate such as "100/h"; empty or null for the default rate. */
  throttleRate?: string | null | undefined;
  /** The abilities every token of this client gets; null or omitted = every ability. @default null */
  abilities?: readonly TAbility[] | null | undefined;
}

export interface DurinClients<TAbility extends string = string> {
  create(input: DurinCreateClientInput<TAbility>): Promise<DurinClient>;
  get(name: string): Promise<DurinClient | null>;
  /** Every client, by name. */
  list(): Promise<DurinClient[]>;
  /** Deletes a client and, by cascade, its tokens (evicted and reported as `tokenRevoked`). */
  delete(name: string): Promise<boolean>;
}

const NAME_PATTERN = /^\S(?:.{0,62}\S)?$/u;

/** Validates a client's fields; throws a `DurinConfigError` naming the field. */
export function validateClientInput(input: DurinCreateClientInput, defaultTtl: number, vocabulary: AbilityVocabulary = null) {
  const { name } = input;
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidConfig('client', 'name', DURIN_CONFIG_PROBLEMS.clientNameBlank);
  }
  if (name.length > 64 || !NAME_PATTERN.test(name)) {
    throw invalidConfig('client', 'name', DURIN_CONFIG_PROBLEMS.clientNameForm(JSON.stringify(name)));
  }
  const tokenTtl = input.tokenTtl === undefined ? defaultTtl : parseDuration(input.tokenTtl);
  if (tokenTtl === null) {
    throw invalidConfig('client', 'tokenTtl', DURIN_CONFIG_PROBLEMS.durationGot(DURATION_FORMS, JSON.stringify(input.tokenTtl)));
  }
  const rawRate = input.throttleRate ?? '';
  const rate = rawRate === '' ? null : parseRate(rawRate);
  if (rawRate !== '' && rate === null) {
    throw invalidConfig('client', 'throttleRate', DURIN_CONFIG_PROBLEMS.rateGot(RATE_FORM, JSON.stringify(rawRate)));
  }
  const abilities = parseAbilities(input.abilities, vocabulary, { subject: 'client', field: 'abilities' });
  return { name, tokenTtl, throttleRate: rate?.text ?? '', abilities };
}

/** What `durin.clients` works with besides the models and settings. */
export interface ClientDeps<TUser> {
  readonly tokens: TokenLifecycle<TUser>;
  /** The app's declared abilities (`createDurin({ abilities })`), or null. */
  readonly vocabulary?: AbilityVocabulary;
}

export function createClients<TUser>(models: DurinModels, settings: ResolvedDurinSettings, deps: ClientDeps<TUser>): DurinClients {
  const { Client, AuthToken } = models;
  const { tokens, vocabulary = null } = deps;
  return {
    async create(input) {
      const values = validateClientInput(input, settings.defaultTokenTtl, vocabulary);
      try {
        return await Client.create(values);
      } catch (error) {
        if (error instanceof UniqueConstraintError) {
          throw new DurinConfigError(DURIN_CONFIG_MESSAGES.clientExists(values.name), { field: 'name' });
        }
        throw error;
      }
    },
    get(name) {
      return Client.findOne({ where: { name } });
    },
    list() {
      return Client.findAll({ order: [['name', 'ASC']] });
    },
    async delete(name) {
      // In one transaction with the client row locked, so that a token issued meanwhile cannot
      // leave by the cascade without being evicted and reported.
      const removed = await Client.sequelize!.transaction(async (transaction) => {
        const client = await Client.findOne({ where: { name }, lock: transaction.LOCK.UPDATE, transaction });
        if (!client) return null;
        const rows = await AuthToken.findAll({
          where: { clientId: client.id },
          attributes: ['tokenHash', 'userId'],
          raw: true,
          transaction,
        });
        await client.destroy({ transaction }); // ON DELETE CASCADE takes the tokens
        return rows;
      });
      if (removed === null) return false;
      tokens.forget(
        removed.map((row) => row.tokenHash),
        'clientDeleted',
        removed.map((row) => row.userId),
      );
      return true;
    },
  };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinCreateClientInput`. */
export type CreateClientInput = DurinCreateClientInput;
