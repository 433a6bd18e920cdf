import type { Sequelize, Transaction } from 'sequelize';
import { DURIN_INTERNAL_MESSAGES } from '../errors.js';

/**
 * The bound and the atomicity of durin's token writes (issue and rotation, renewal, every
 * revocation). Each unit of work is one transaction, so it applies whole or not at all:
 * - `writeTimeout`: with the database frozen, a write would wait for the driver's connect timeout
 *   or until the database returns; past the bound the caller gets an error (BACKEND_FAILED in
 *   durin's router) and a transaction that has not started committing is rolled back whenever its
 *   statements return, so a write answered as failed never lands later;
 * - deadlocks: MariaDB may pick a logout's delete (by digest) and a login's rotation (by id) as a
 *   deadlock's victim, since they take the two indexes' locks in opposite orders; SQLite answers a
 *   competing writer with SQLITE_BUSY. Both mean "nothing was applied, try again": the transaction
 *   is retried a bounded number of times, then the error surfaces.
 */

/** Why a write failed: it did not finish within `writeTimeout` (rolled back if it had not committed). */
export class DurinWriteTimeoutError extends Error {
  override readonly name = 'DurinWriteTimeoutError';
}

/** Runs `task` in a transaction of its own: committed if it resolves, rolled back otherwise. */
export type Transact = <T>(task: (transaction: Transaction) => Promise<T>) => Promise<T>;

export interface WriteGuard {
  /** Runs `work` within `writeTimeout`; each `transact` inside it is one retried, all-or-nothing transaction. */
  bounded<T>(work: (transact: Transact) => Promise<T>): Promise<T>;
  /** One transaction within `writeTimeout`. */
  transaction<T>(task: (transaction: Transaction) => Promise<T>): Promise<T>;
}

/** Attempts of one transaction that keeps losing deadlocks, before the error surfaces. */
export const MAX_DEADLOCK_ATTEMPTS = 5;
const pause = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * attempt * 5));

/** MariaDB/MySQL's ER_LOCK_DEADLOCK (1213), or SQLite's SQLITE_BUSY: the transaction applied nothing. */
export function isDeadlock(error: unknown): boolean {
  for (let cause = error as { errno?: unknown; code?: unknown; parent?: unknown } | null; cause;) {
    if (cause.errno === 1213 || cause.code === 'ER_LOCK_DEADLOCK' || cause.code === 'SQLITE_BUSY') return true;
    cause = (cause.parent ?? null) as typeof cause;
  }
  return false;
}

export function createWriteGuard(sequelize: Sequelize, timeoutMs: number): WriteGuard {
  // SQLite has one writer at a time, and an in-memory database one connection that every
  // transaction shares (a second BEGIN on it fails): this process's transactions take turns there.
  let sqliteTurn: Promise<unknown> | null = sequelize.getDialect() === 'sqlite' ? Promise.resolve() : null;
  const inTurn = <T>(task: () => Promise<T>): Promise<T> => {
    if (!sqliteTurn) return task();
    const run = sqliteTurn.then(task, task);
    sqliteTurn = run.catch(() => undefined);
    return run;
  };

  function bounded<T>(work: (transact: Transact) => Promise<T>): Promise<T> {
    let abandoned = false;
    const transact: Transact = async (task) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await inTurn(() => once(task));
        } catch (error) {
          if (abandoned || !isDeadlock(error) || attempt >= MAX_DEADLOCK_ATTEMPTS) throw error;
          await pause(attempt);
        }
      }
    };
    async function once<T>(task: (transaction: Transaction) => Promise<T>): Promise<T> {
      if (abandoned) throw timedOut();
      const transaction = await sequelize.transaction();
      try {
        const value = await task(transaction);
        // The caller was already told it failed: what this transaction did must not land.
        if (abandoned) throw timedOut();
        await transaction.commit();
        return value;
      } catch (error) {
        if (!(transaction as { finished?: string }).finished) await transaction.rollback().catch(() => {});
        throw error;
      }
    }
    const timedOut = () => new DurinWriteTimeoutError(DURIN_INTERNAL_MESSAGES.writeTimedOut(timeoutMs));

    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        abandoned = true;
        reject(timedOut());
      }, timeoutMs);
      timer.unref?.();
      work(transact).then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
  return { bounded, transaction: (task) => bounded((transact) => transact(task)) };
}
