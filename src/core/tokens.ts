import { Op, type WhereOptions } from 'sequelize';
import { findClientByName } from './clientName.js';
import { generateToken, hashToken } from './crypto.js';
import { tokenStart } from './tokenFormat.js';
import { DURATION_FORMS, parseDuration } from '../config/duration.js';
import { durinError } from '../errors.js';
import { DURIN_CONFIG_PROBLEMS, invalidConfig } from '../config/messages.js';
import type { DurinEvents, DurinRevokeReason } from './events.js';
import type { TokenLiveness } from './liveness.js';
import type { DurinAuthToken, DurinAuthTokenAttributes, DurinClient, DurinModels } from '../models/types.js';
import { renewalExpiry } from './lifetime.js';
import { createTokenWriter } from './rotation.js';
import { sessionView, type DurinSession, type DurinSessionRevocation } from './sessions.js';
import { createWriteGuard } from './writeGuard.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import { addSeconds, now } from './time.js';
import type { DurinTelemetry } from './telemetry.js';

/**
 * The one writer of token rows: issuing, renewing, recording use, expiring and revoking, each
 * followed by its event and its report to the liveness hub (the cache, open subscriptions,
 * `sessions.watch` and the cross-process bus listen there). Every revocation goes through one
 * internal `revokeWhere`, so none can forget to evict or to emit `tokenRevoked`; the routers call
 * the named operations below and never build a query of their own.
 */

export interface DurinIssuedToken<TUser> {
  /** The plaintext token: shown once, never stored. */
  readonly token: string;
  readonly auth: DurinAuthToken<TUser>;
}

/**
 * Everything that writes a token row, for durin's own parts (the request path, the routers, the
 * clients, usage). Apps see the subset `durin.tokens` (`DurinTokens` in types.ts).
 */
export interface TokenLifecycle<TUser> {
  /**
   * Issues a token for (user, client). One token per (user, client), as in durin; since a digest
   * cannot be handed back, an existing one is rotated: new secret, new expiry, same row.
   */
  issue(user: TUser, client: string | DurinClient, options?: DurinIssueOptions): Promise<DurinIssuedToken<TUser>>;
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
  /**
   * Deletes a token found expired when it was presented (by id *and* digest: a rotation may have
   * given the row a new token meanwhile), fires `tokenExpired`, and reports the digest gone and the
   * user's sessions changed, so the cache, open subscriptions and `sessions.watch` hear of it.
   */
  expire(auth: DurinAuthToken<TUser>): Promise<void>;
  /**
   * Writes what a verified use changed (usage columns, and the expiry when `renewOnUse` moved it)
   * in one statement, and announces a new expiry as `renew` does. False when the row is gone or
   * was rotated meanwhile (nothing is announced then).
   */
  recordUse(auth: DurinAuthToken<TUser>, values: DurinUseValues): Promise<boolean>;
  /** The user's tokens as sessions, oldest first, seen from `auth` (the API key hidden when configured). */
  listSessions(auth: DurinAuthToken<TUser>): Promise<DurinSession[]>;
  /** Revokes one of `auth`'s user's other sessions by id (reason `sessionRevoked`). */
  revokeSession(auth: DurinAuthToken<TUser>, id: number): Promise<DurinSessionRevocation>;
  /** Revokes every session `listSessions` shows except `auth`'s own; resolves to how many. */
  revokeOthers(auth: DurinAuthToken<TUser>): Promise<number>;
  /** The user's token on one client (their API key on the API-access client), or null. */
  findOnClient(userId: unknown, client: DurinClient): Promise<DurinAuthToken<TUser> | null>;
  /**
   * Issues a named API key: a new row every time (many per user and client), never rotated by a
   * login, holding no session slot.
   */
  issueKey(user: TUser, client: DurinClient, options: IssueKeyOptions): Promise<DurinIssuedToken<TUser>>;
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
  /**
   * Revokes the rows a filter selects, through the funnel. For durin's core modules that revoke by
   * a filter (administration); routers use the named operations instead.
   */
  revokeWhere(where: WhereOptions<DurinAuthTokenAttributes>, reason: DurinRevokeReason): Promise<number>;
}

/** `tokens.issueKey`'s options: already checked by the caller. */
export interface IssueKeyOptions {
  readonly name: string;
  readonly abilities: readonly string[] | null;
  /** Seconds until it expires. */
  readonly ttl: number;
}

/** The columns a verified use may change: its usage record, and the expiry under `renewOnUse`. */
export type DurinUseValues = Partial<Pick<DurinAuthTokenAttributes, 'lastUsedAt' | 'lastIp' | 'userAgent' | 'expiry'>>;

/** `tokens.issue`'s options. */
export interface DurinIssueOptions {
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

export function createTokens<TUser>(deps: TokenDeps<TUser>): TokenLifecycle<TUser> {
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
  // The API key stays out of the session list (and out of revokeOthers) when the settings say so.
  const hiddenClient = settings.apiAccessExcludeFromSessions ? settings.apiAccessClientName : null;

  /** The end of every renewal: the cached lookup holds the old expiry, so the cache evicts it. */
  const renewed = (auth: DurinAuthToken<TUser>, newExpiry: Date) => {
    liveness.publish({ type: 'renewed', tokenHash: auth.tokenHash, expiry: newExpiry.getTime() });
    events.emit('tokenRenewed', { auth, newExpiry });
    // The session list shows the expiry: `sessions.watch` re-reads it.
    userChanged([auth.userId]);
  };

  async function revokeWhere(where: WhereOptions<DurinAuthTokenAttributes>, reason: DurinRevokeReason): Promise<number> {
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
  }

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

  const tokens: TokenLifecycle<TUser> = {
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
      const stillThere = await guard.transaction(async (transaction) => {
        const [count] = await AuthToken.update({ expiry: newExpiry }, { where, transaction });
        // MySQL reports changed rows, not matched ones: two renewals in one millisecond write the same
        // expiry and the second counts 0. Only then, ask whether the row is still there.
        return count === 1 || (count === 0 && (await AuthToken.count({ where, transaction })) === 1);
      });
      if (!stillThere) return null;
      auth.setDataValue('expiry', newExpiry);
      renewed(auth, newExpiry);
      return newExpiry;
    },

    async revoke(auth, reason = 'revoked') {
      const list = Array.isArray(auth) ? auth : [auth];
      if (list.length === 0) return 0;
      return revokeWhere({ tokenHash: list.map((a) => a.tokenHash) }, reason);
    },

    async revokeAll(user, reason = 'logoutAll') {
      return revokeWhere({ userId: userId(user) }, reason);
    },

    async removeExpired() {
      return revokeWhere({ expiry: { [Op.lt]: new Date(now()) } }, 'removeExpired');
    },

    forget,

    revokeWhere,

    async issueKey(user, client, options) {
      const token = generateToken(settings.tokenPrefix, settings.tokenCharacterLength, settings.tokenChecksum);
      const at = now();
      // Bounded by writeTimeout like every other token write.
      const auth = (await guard.transaction((transaction) =>
        AuthToken.create(
          {
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
          },
          { transaction },
        ),
      )) as DurinAuthToken<TUser>;
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
      const stillThere = await guard.transaction(async (transaction) => {
        const [count] = await AuthToken.update(values, { where, transaction });
        // MySQL counts changed rows: an update to the same values counts 0.
        return count === 1 || (count === 0 && (await AuthToken.count({ where, transaction })) === 1);
      });
      if (!stillThere) return false;
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

    async expire(auth) {
      const { tokenHash } = auth;
      // 0 removed: a concurrent request expired it first (and reported it), or it was rotated.
      const removed = (await AuthToken.destroy({ where: { id: auth.id, tokenHash } })) > 0;
      if (removed) liveness.publish({ type: 'revoked', tokenHashes: [tokenHash] });
      events.emit('tokenExpired', { userId: auth.userId, clientName: auth.client.name });
      if (removed) userChanged([auth.userId]);
    },

    async recordUse(auth, values) {
      const [count] = await AuthToken.update(values, { where: { id: auth.id, tokenHash: auth.tokenHash } });
      if (count !== 1) return false;
      // The cache holds this very instance: it sees the new values without a lookup.
      for (const [key, value] of Object.entries(values)) auth.setDataValue(key as keyof DurinUseValues, value as never);
      if (values.expiry) renewed(auth, values.expiry);
      return true;
    },

    async listSessions(auth) {
      // Named API keys are listed by apiKeys.list, never as sessions.
      const where: WhereOptions = { userId: auth.userId, kind: 'session' };
      if (hiddenClient) Object.assign(where, { '$client.name$': { [Op.ne]: hiddenClient } });
      const rows = (await AuthToken.findAll({
        where,
        include: [{ model: Client, as: 'client', attributes: ['name'] }],
        order: [['id', 'ASC']],
      })) as DurinAuthToken[];
      return rows.map((row) => sessionView(row, auth.id));
    },

    async revokeSession(auth, id) {
      if (id === Number(auth.id)) return 'current';
      const row = (await AuthToken.findOne({ where: { id, userId: auth.userId } })) as DurinAuthToken<TUser> | null;
      if (!row) return 'notFound';
      await tokens.revoke(row, 'sessionRevoked');
      return 'revoked';
    },

    async revokeOthers(auth) {
      // Named API keys are not sessions: they stay (apiKeys.revoke or logoutAll removes them).
      const where: WhereOptions<DurinAuthTokenAttributes> = { userId: auth.userId, kind: 'session', id: { [Op.ne]: auth.id } };
      if (hiddenClient) {
        const hidden = await Client.findOne({ where: { name: hiddenClient }, attributes: ['id'] });
        if (hidden) Object.assign(where, { clientId: { [Op.ne]: hidden.id } });
      }
      return revokeWhere(where, 'sessionRevoked');
    },

    async findOnClient(owner, client) {
      // The client's session slot: durin's one key per user. Named API keys on the same client are not it.
      return (await AuthToken.findOne({
        where: { userId: owner, clientId: client.id, sessionSlot: true },
      })) as DurinAuthToken<TUser> | null;
    },
  };
  return tokens;
}

/** The session-metadata values of a token row. */
type SessionMetadata = Pick<DurinAuthTokenAttributes, 'name' | 'lastUsedAt' | 'lastIp' | 'userAgent'>;

/** The session-metadata columns of a newly issued (or rotated) token. */
function sessionMetadata(options: DurinIssueOptions, at: number): SessionMetadata {
  const from = options.usedFrom;
  return {
    name: options.name ?? null,
    lastUsedAt: from ? new Date(at) : null,
    lastIp: from?.ip ?? null,
    userAgent: from?.userAgent ?? null,
  };
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinIssuedToken`. */
export type IssuedToken<TUser> = DurinIssuedToken<TUser>;
/** @deprecated Use `DurinIssueOptions`. */
export type IssueOptions = DurinIssueOptions;
