import { DataTypes } from 'sequelize';
import type { Sequelize } from 'sequelize-typescript';
import type { DurinCacheBus } from '../core/bus.js';
import { createDurin, type Durin } from '../createDurin.js';

/**
 * durin on the CLI's own Sequelize, so the commands go through the public API (`clients.*`,
 * `tokens.removeExpired`) and get its validation, messages and events. The CLI has no app user
 * model; `createDurin` needs one for the `user` association, so a stand-in with just a key is
 * defined. No CLI command joins or writes the user table, and nothing is synced, so its name and
 * key type never reach SQL. Settings are durin's defaults (the CLI cannot see the app's settings):
 * `create-client` without `--token-ttl` gets defaultTokenTtl's default, 1d.
 */
export function createCliDurin(sequelize: Sequelize, cacheBus?: DurinCacheBus): Durin {
  const User = sequelize.define(
    'TrpcDurinCliUser',
    { id: { type: DataTypes.INTEGER, primaryKey: true } },
    { tableName: 'users', timestamps: false },
  );
  // No command logs anyone in, and the stand-in has no username column for the login throttle to key by.
  const settings = { loginThrottleRate: null };
  return createDurin({ sequelize, userModel: User, authenticateUser: () => null, settings, ...(cacheBus ? { cacheBus } : {}) });
}
