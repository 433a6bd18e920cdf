import { Op, type WhereOptions } from 'sequelize';
import { findClientByName } from './clientName.js';
import { generateToken, hashToken } from './crypto.js';
import { tokenStart } from './tokenFormat.js';
import { DURATION_FORMS, parseDuration } from '../config/duration.js';
import { DURIN_CONFIG_PROBLEMS, durinError, invalidConfig } from '../errors.js';
import type { DurinEvents, DurinRevokeReason } from './events.js';
import type { TokenLiveness } from './liveness.js';
import type { DurinAuthToken, DurinAuthTokenAttributes, DurinClient, DurinModels } from '../models/types.js';
import { renewalExpiry } from './lifetime.js';
import { createTokenWriter } from './rotation.js';
import { createWriteGuard } from './writeGuard.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import { addSeconds, now } from './time.js';
import type { DurinTelemetry } from './telemetry.js';

/**
 * Issuing, renewing and revoking tokens, with their events and cache evictions. Every way a token
 * stops working goes through `revokeWhere`, so none can forget to evict or to emit `tokenRevoked`.
 */

export interface IssuedToken<TUser> {
  /** The plaintext token: shown once, never stored. */
  readonly token: string;
  readonly auth: DurinAuthToken<TUser>;
}

export interface DurinTokens<TUser> {
  /**
   * Issues a token for (user, client). One token per (user, client), as in durin; since a digest
   * cannot be handed back, an existing one is rotated: new secret, new expiry, same row.
   */
  issue(user: TUser, client: string | DurinClient, options?: IssueOptions): Promise<IssuedToken<TUser>>;
  /**
   * Moves a token's expiry to now + its client's TTL (durin's `renew_token`), capped at
   * `created + maxTokenLifetime` when that is set; `null` if it is gone.
   */
  renew(auth: DurinAuthToken<TUser>): Promise<Date | null>;
  /** Deletes tokens; resolves to how many rows went. */
  revoke(auth: DurinAuthToken<TUser> | DurinAuthToken<TUser>[], reason?: DurinRevokeReason): Promise<number>;
  /** Deletes every token of a user, on every client. */
  revokeAll(user: TUser, reason?: DurinRevokeReason): Promise<number>;
  /** Deletes tokens past their expiry; resolves to how many. For cron (`trpc-durin remove-expired-tokens`). */
  removeExpired(): Promise<number>;
  /**
   * Evicts and reports tokens the database already removed (by cascade): the end of every revocation.
   * `userIds`: whose sets of tokens changed, for `auth.sessions.watch`.
   */
  forget(tokenHashes: string[], reason: DurinRevokeReason, userIds?: readonly unknown[]): void;
  /** Deletes the tokens a `where` on `durin_authtoken` selects (the shared revocation path). */
  revokeWhere(where: WhereOptions<DurinAuthTokenAttributes>, reason: DurinRevokeReason): Promise<number>;
  /**
   * Issues a named API key: a new row every time (many per user and client), never rotated by a
   * login, holding no session slot.
   */
  issueKey(user: TUser, client: DurinClient, options: IssueKeyOptions): Promise<IssuedToken<TUser>>;
  /**
   * Renames a key or changes its abilities. Cached lookups of it are evicted in every process (the
   * liveness hub and the bus carry it), so narrowed abilities hold at once; `false` if it is gone.
   */
  updateKey(auth: DurinAuthToken<TUser>, changes: { name?: string; abilities?: readonly string[] | null }): Promise<boolean>;
  /**
   * After a change to a client's TTL or rate: cached lookups of its tokens hold the old client row
   * (the throttle and `refresh` read it from there), so they are evicted here and, through the bus,
   * in every process. Resolves to how many tokens were named.
   */
  clientChanged(clientId: number): Promise<number>;
}

/** `tokens.issueKey`'s options: already checked by the caller. */
export interface IssueKeyOptions {
  readonly name: string;
  readonly abilities: readonly string[] | null;
  /** Seconds until it expires. */
  readonly ttl: number;
}

/** `tokens.issue`'s options. */
export interface IssueOptions {
  /** A TTL other than the client's. */
  ttl?: number | string | undefined;
  /** The session's name (login's `name`). @default null */
  name?: string | null | undefined;
  /** Where the issuing request came from: recorded as the session's first use. */
  usedFrom?: { ip: string | null; userAgent: string | null };
}

export interface TokenDeps<TUser> {
  readonly models: DurinModels;
  readonly settings: ResolvedDurinSettings;
  readonly events: DurinEvents<TUser>;
  /** Where every revocation and renewal is reported: the cache, the streams and the bus listen there. */
  readonly liveness: TokenLiveness;
  readonly userId: (user: TUser) => unknown;
  /** Where issued and revoked tokens are counted; null when the app passed no `telemetry`. */
  readonly telemetry?: DurinTelemetry | null;
}

const REVOKE_BATCH = 500;

export function createTokens<TUser>(deps: TokenDeps<TUser>): DurinTokens<TUser> {
  const { models, settings, events, liveness, userId } = deps;
  const { AuthToken, Client } = models;
  const telemetry = deps.telemetry ?? null;
  // Every write below is one transaction within writeTimeout, retried on a deadlock.
  const guard = createWriteGuard(AuthToken.sequelize!, settings.writeTimeout);
  const writeToken = createTokenWriter(AuthToken, guard);

  // `auth.sessions.watch` re-reads a user's sessions on this, in every process (the bus carries it).
  const userChanged = (ids: readonly unknown[]) => {
    for (const id of new Set(ids.map(String))) liveness.publish({ type: 'userChanged', userId: id });
  };

  const forget = (tokenHashes: string[], reason: DurinRevokeReason, userIds: readonly unknown[] = []) => {
    if (tokenHashes.length === 0) return;
    liveness.publish({ type: 'revoked', tokenHashes });
    events.emit('tokenRevoked', { tokenHashes, reason });
    telemetry?.tokensRevoked({ reason, count: tokenHashes.length });
    userChanged(userIds);
  };

  const withRelations = (auth: DurinAuthToken<TUser>, client: DurinClient, user: TUser) => {
    for (const [name, value] of [
      ['client', client],
      ['user', user],
    ] as const) {
      (auth as unknown as Record<string, unknown>)[name] = value;
      (auth.dataValues as unknown as Record<string, unknown>)[name] = value;
    }
    return auth;
  };

  async function resolveClient(client: string | DurinClient): Promise<DurinClient> {
    if (typeof client !== 'string') return client;
    const found = await findClientByName(Client, client);
    // An unknown name is a lookup failure, not a configuration error: a procedure passing its input answers 400.
    if (!found) throw durinError('CLIENT_UNKNOWN');
    return found;
  }

  const tokens: DurinTokens<TUser> = {
    async issue(user, clientOrName, options = {}) {
      const client = await resolveClient(clientOrName);
      const ttl = options.ttl === undefined ? Number(client.tokenTtl) : parseDuration(options.ttl);
      if (ttl === null) throw invalidConfig('option', 'ttl', DURIN_CONFIG_PROBLEMS.duration(DURATION_FORMS));
      const token = generateToken(settings.tokenPrefix, settings.tokenCharacterLength, settings.tokenChecksum);
      const at = now();
      const written = await writeToken({
        ownerId: userId(user),
        clientId: client.id,
        tokenHash: hashToken(token),
        created: new Date(at),
        expiry: addSeconds(at, ttl),
        // A session gets its client's default abilities (null = every ability).
        metadata: { ...sessionMetadata(options, at), abilities: client.abilities ?? null },
      });
      const auth = written.auth as DurinAuthToken<TUser>;
      if (written.replaced) forget([written.replaced], 'rotated');
      withRelations(auth, client, user);
      events.emit('tokenCreated', { auth, user });
      // The apiAccess key holds its client's one session slot, but an operator counts it as a key.
      const kind = auth.kind === 'apiKey' || client.name === settings.apiAccessClientName ? 'apiKey' : 'session';
      telemetry?.tokensIssued({ client: client.name, kind });
      userChanged([auth.userId]);
      return { token, auth };
    },

    async renew(auth) {
      const client = auth.client ?? (await Client.findByPk(auth.clientId));
      if (!client) return null;
      const newExpiry = renewalExpiry(now(), Number(client.tokenTtl), {
        created: auth.created,
        maxTokenLifetime: settings.maxTokenLifetime,
      });
      const where = { id: auth.id, tokenHash: auth.tokenHash };
      const renewed = await guard.transaction(async (transaction) => {
        const [count] = await AuthToken.update({ expiry: newExpiry }, { where, transaction });
        // MySQL reports changed rows, not matched ones: two renewals in one millisecond write the same
        // expiry and the second counts 0. Only then, ask whether the row is still there.
        return count === 1 || (count === 0 && (await AuthToken.count({ where, transaction })) === 1);
      });
      if (!renewed) return null;
      auth.setDataValue('expiry', newExpiry);
      // The cached lookup holds the old expiry: the cache evicts it, so the next request reads the new one.
      liveness.publish({ type: 'renewed', tokenHash: auth.tokenHash, expiry: newExpiry.getTime() });
      events.emit('tokenRenewed', { auth, newExpiry });
      userChanged([auth.userId]);
      return newExpiry;
    },

    async revoke(auth, reason = 'revoked') {
      const list = Array.isArray(auth) ? auth : [auth];
      if (list.length === 0) return 0;
      return tokens.revokeWhere({ tokenHash: list.map((a) => a.tokenHash) }, reason);
    },

    async revokeAll(user, reason = 'logoutAll') {
      return tokens.revokeWhere({ userId: userId(user) }, reason);
    },

    async removeExpired() {
      return tokens.revokeWhere({ expiry: { [Op.lt]: new Date(now()) } }, 'removeExpired');
    },

    forget,

    async issueKey(user, client, options) {
      const token = generateToken(settings.tokenPrefix, settings.tokenCharacterLength, settings.tokenChecksum);
      const at = now();
      const auth = (await AuthToken.create({
        tokenHash: hashToken(token),
        userId: userId(user),
        clientId: client.id,
        created: new Date(at),
        expiry: addSeconds(at, options.ttl),
        name: options.name,
        abilities: options.abilities,
        kind: 'apiKey',
        sessionSlot: null,
        start: tokenStart(token, settings.tokenPrefix),
      })) as DurinAuthToken<TUser>;
      withRelations(auth, client, user);
      events.emit('tokenCreated', { auth, user });
      telemetry?.tokensIssued({ client: client.name, kind: 'apiKey' });
      userChanged([auth.userId]);
      return { token, auth };
    },

    async updateKey(auth, changes) {
      const values: Partial<DurinAuthTokenAttributes> = {};
      if (changes.name !== undefined) values.name = changes.name;
      if (changes.abilities !== undefined) values.abilities = changes.abilities;
      const where = { id: auth.id, tokenHash: auth.tokenHash };
      const [count] = await AuthToken.update(values, { where });
      // MySQL counts changed rows: an update to the same values counts 0.
      if (count !== 1 && (count !== 0 || (await AuthToken.count({ where })) !== 1)) return false;
      for (const [key, value] of Object.entries(values)) auth.setDataValue(key as keyof DurinAuthTokenAttributes, value as never);
      // Cached lookups hold the old abilities: the hub evicts them here and the bus in every other
      // process. Its 'renewed' (same expiry) means "re-read this row", which is all a change needs.
      liveness.publish({ type: 'renewed', tokenHash: auth.tokenHash, expiry: auth.expiry.getTime() });
      userChanged([auth.userId]);
      return true;
    },

    async clientChanged(clientId) {
      const rows = (await AuthToken.findAll({ where: { clientId }, attributes: ['tokenHash', 'expiry'], raw: true })) as unknown as Array<
        Pick<DurinAuthTokenAttributes, 'tokenHash' | 'expiry'>
      >;
      // 'renewed' with the same expiry means "re-read this row": the cache evicts it, and an open
      // subscription keeps its timer, since the token itself did not change.
      for (const row of rows) liveness.publish({ type: 'renewed', tokenHash: row.tokenHash, expiry: new Date(row.expiry).getTime() });
      return rows.length;
    },

    async revokeWhere(where, reason) {
      // One transaction: a revocation of many rows applies whole or not at all.
      const batches = await guard.transaction(async (transaction) => {
        const rows = (await AuthToken.findAll({ where, attributes: ['tokenHash', 'userId'], raw: true, transaction })) as unknown as Array<
          Pick<DurinAuthTokenAttributes, 'tokenHash' | 'userId'>
        >;
        const done: Array<{ rows: typeof rows; removed: number }> = [];
        for (let i = 0; i < rows.length; i += REVOKE_BATCH) {
          const batch = rows.slice(i, i + REVOKE_BATCH);
          const removed = await AuthToken.destroy({ where: { tokenHash: batch.map((row) => row.tokenHash) }, transaction });
          done.push({ rows: batch, removed });
        }
        return done;
      });
      let removed = 0;
      for (const batch of batches) {
        removed += batch.removed;
        forget(
          batch.rows.map((row) => row.tokenHash),
          reason,
          batch.rows.map((row) => row.userId),
        );
      }
      return removed;
    },
  };
  return tokens;
}

type SessionMetadata = Pick<DurinAuthTokenAttributes, 'name' | 'lastUsedAt' | 'lastIp' | 'userAgent'>;

/** The session-metadata columns of a newly issued (or rotated) token. */
function sessionMetadata(options: IssueOptions, at: number): SessionMetadata {
  const from = options.usedFrom;
  return {
    name: options.name ?? null,
    lastUsedAt: from ? new Date(at) : null,
    lastIp: from?.ip ?? null,
    userAgent: from?.userAgent ?? null,
  };
}
