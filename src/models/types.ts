import type { Model, ModelStatic } from 'sequelize';

/**
 * Public shapes of durin's two tables. The classes themselves are declared per
 * Sequelize instance by `defineModels`, because a Sequelize model class belongs to one instance.
 */

export interface DurinClientAttributes {
  id: number;
  /** Unique name, e.g. "web", "mobile", "cli". */
  name: string;
  /** Lifetime of the client's tokens, in seconds. Column `token_ttl`. */
  tokenTtl: number;
  /** The client's throttle rate ("100/h"), or "" for the default. Column `throttle_rate`. */
  throttleRate: string;
  /** The abilities every token of this client gets; `null` = every ability. */
  abilities: readonly string[] | null;
}

export type DurinClientCreationAttributes = Omit<DurinClientAttributes, 'id' | 'throttleRate' | 'abilities'> &
  Partial<Pick<DurinClientAttributes, 'id' | 'throttleRate' | 'abilities'>>;

/** What a token is: a login session (one per user and client, rotated on login) or a named API key. */
export type DurinTokenKind = 'session' | 'apiKey';

/** A row of `durin_client`. */
export interface DurinClient extends Model<DurinClientAttributes, DurinClientCreationAttributes>, DurinClientAttributes {}

export interface DurinAuthTokenAttributes {
  id: number;
  /** SHA-256 hex of the whole token. The token itself is never stored. Column `token_hash`. */
  tokenHash: string;
  /** The owner's primary key. Column `user_id`. */
  userId: unknown;
  /** Column `client_id`. */
  clientId: number;
  created: Date;
  expiry: Date;
  /** What the user called the session at login ("Firefox on Linux"), or null. */
  name: string | null;
  /** When the token was last used, recorded at most once per `lastUsedUpdateInterval`. Column `last_used_at`. */
  lastUsedAt: Date | null;
  /** The client IP of that use. Column `last_ip`. */
  lastIp: string | null;
  /** The User-Agent of that use, cut to 255 characters. Column `user_agent`. */
  userAgent: string | null;
  /** What this token may do: `null` = every ability; `"*"` in the list = every ability too. */
  abilities: readonly string[] | null;
  /** `'session'` (login, `tokens.issue`) or `'apiKey'` (`apiKeys.create`, `create-api-key`). */
  kind: DurinTokenKind;
  /** `true` for a session (one per user and client), `null` for an API key. Column `session_slot`. */
  sessionSlot: boolean | null;
  /** An API key's first 8 characters after the prefix, to tell keys apart; `null` for sessions. */
  start: string | null;
}

/** The columns with defaults or metadata: optional when a row is created. */
export type SessionMetadataKey = 'name' | 'lastUsedAt' | 'lastIp' | 'userAgent' | 'abilities' | 'kind' | 'sessionSlot' | 'start';

export type DurinAuthTokenCreationAttributes = Omit<DurinAuthTokenAttributes, 'id' | SessionMetadataKey> & {
  id?: number;
} & Partial<Pick<DurinAuthTokenAttributes, SessionMetadataKey>>;

/** A row of `durin_authtoken`: what `ctx.auth` holds, with `client` loaded. */
export interface DurinAuthToken<TUser = unknown>
  extends Model<DurinAuthTokenAttributes, DurinAuthTokenCreationAttributes>, DurinAuthTokenAttributes {
  client: DurinClient;
  user?: TUser;
}

export type DurinClientModel = ModelStatic<DurinClient>;
export type DurinAuthTokenModel = ModelStatic<DurinAuthToken>;

export interface DurinModels {
  Client: DurinClientModel;
  AuthToken: DurinAuthTokenModel;
}
