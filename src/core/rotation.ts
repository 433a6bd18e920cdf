import { UniqueConstraintError, type Transaction } from 'sequelize';
import { DURIN_INTERNAL_MESSAGES } from '../errors.js';
import type { DurinAuthToken, DurinAuthTokenModel } from '../models/types.js';
import type { WriteGuard } from './writeGuard.js';

/**
 * The write behind `tokens.issue` (one row per (user, client), rotated atomically).
 * It converges for any number of concurrent logins of one (user, client):
 * - in this process they queue per (user, client), so they never race each other;
 * - across processes each attempt is a compare-and-swap on the old digest (an insert when there is
 *   no row); a lost race retries after a short random pause. Every round has a winner, so K
 *   contending processes settle within K rounds; the bound below is far beyond that.
 * The old digest each write replaced is returned, so exactly the token that stopped working is
 * reported, never a guess.
 */

export interface TokenRow {
  readonly ownerId: unknown;
  readonly clientId: number;
  readonly tokenHash: string;
  readonly created: Date;
  readonly expiry: Date;
  /** The session's name and first use; a rotation replaces the old session's. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface WrittenToken {
  readonly auth: DurinAuthToken;
  /** The digest this write replaced (a rotation), or `null` for a first token. */
  readonly replaced: string | null;
}

const MAX_ATTEMPTS = 50;
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(attempt, 10) * 2));

/** Thrown only if another writer kept winning MAX_ATTEMPTS rounds in a row. */
export class DurinRotationError extends Error {
  override readonly name = 'DurinRotationError';
}

export function createTokenWriter(AuthToken: DurinAuthTokenModel, guard: WriteGuard) {
  const queues = new Map<string, Promise<unknown>>();

  /** Runs `task` after every earlier task of the same key has settled. */
  function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
    const run = (queues.get(key) ?? Promise.resolve()).then(task, task);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    queues.set(key, tail);
    void tail.then(() => {
      if (queues.get(key) === tail) queues.delete(key);
    });
    return run;
  }

  async function attempt(row: TokenRow, transaction: Transaction): Promise<WrittenToken | null> {
    const { ownerId, clientId, tokenHash, created, expiry, metadata = {} } = row;
    // The session slot only: API keys on the same client are never rotated by a login.
    const existing = await AuthToken.findOne({ where: { userId: ownerId, clientId, sessionSlot: true }, transaction });
    if (!existing) {
      try {
        const inserted = await AuthToken.create({ tokenHash, userId: ownerId, clientId, created, expiry, ...metadata }, { transaction });
        return { auth: inserted, replaced: null };
      } catch (error) {
        // Another process inserted the (user, client) row first: rotate it on the next round.
        if (error instanceof UniqueConstraintError) return null;
        throw error;
      }
    }
    // Compare-and-swap on the old digest: the digest always changes, so a match is one affected row
    // on every driver (MySQL counts changed rows, not matched ones). A rotation is a new session: the
    // old one's name and last use go with its secret.
    const [count] = await AuthToken.update(
      { tokenHash, expiry, ...metadata },
      { where: { id: existing.id, tokenHash: existing.tokenHash }, transaction },
    );
    if (count !== 1) return null;
    const auth = AuthToken.build({ ...existing.get({ plain: true }), tokenHash, expiry, ...metadata }, { isNewRecord: false, raw: true });
    return { auth, replaced: existing.tokenHash };
  }

  // Each round is one transaction (retried on a deadlock); all rounds together are bounded by writeTimeout.
  return function writeToken(row: TokenRow): Promise<WrittenToken> {
    return guard.bounded((transact) =>
      serialized(`${String(row.ownerId)}\u0000${row.clientId}`, async () => {
        for (let round = 1; ; round++) {
          const written = await transact((transaction) => attempt(row, transaction));
          if (written) return written;
          if (round >= MAX_ATTEMPTS) throw new DurinRotationError(DURIN_INTERNAL_MESSAGES.rotationContended);
          await pause(round);
        }
      }),
    );
  };
}
