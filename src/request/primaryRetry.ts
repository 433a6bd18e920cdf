import type { Sequelize } from 'sequelize-typescript';
import type { TokenLookup } from './lookup.js';

/**
 * Read replicas: with Sequelize's `replication: { read, write }` the token lookup
 * reads a replica, which may not have a token issued a moment ago on the primary. A miss there is
 * retried once on the primary before "Invalid token.", so replica lag never refuses a new token.
 * Without replication every read is on the primary already, and a miss costs one query, as before.
 */
export function withPrimaryRetry<TUser>(sequelize: Sequelize, lookup: TokenLookup<TUser>): TokenLookup<TUser> {
  const replication = (sequelize.options as { replication?: { read?: unknown[] } | false }).replication;
  if (!replication || !Array.isArray(replication.read) || replication.read.length === 0) return lookup;
  return async function lookupTokenOnReplica(tokenHash, options) {
    if (options?.useMaster) return lookup(tokenHash, options);
    return (await lookup(tokenHash)) ?? lookup(tokenHash, { useMaster: true });
  };
}
