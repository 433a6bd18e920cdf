import { DatabaseError } from 'sequelize';
import type { DurinClient, DurinClientModel } from '../models/types.js';

/**
 * Looking a client up by a name a caller typed (login's `client` input, `tokens.issue`). A name no
 * client can have is "not found", never a database error: longer than the
 * column (64), a control, format or unassigned character, a lone surrogate, or characters the
 * table's character set cannot hold (MySQL refuses to compare those).
 */

const MAX_CLIENT_NAME_LENGTH = 64;
const PRINTABLE = /^[^\p{C}]+$/u;

/** MySQL's "this string does not fit that column's character set" errors. */
const CHARSET_ERRNOS = new Set([
  1267, // ER_CANT_AGGREGATE_2COLLATIONS: Illegal mix of collations
  1270, // ER_CANT_AGGREGATE_3COLLATIONS
  1271, // ER_CANT_AGGREGATE_NCOLLATIONS
  1300, // ER_INVALID_CHARACTER_STRING
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD: Incorrect string value
]);

/** True when `name` could be a client's name: 1 to 64 printable characters. */
export function isPlausibleClientName(name: string): boolean {
  return name.length >= 1 && name.length <= MAX_CLIENT_NAME_LENGTH && PRINTABLE.test(name);
}

function isCharsetError(error: unknown): boolean {
  if (!(error instanceof DatabaseError)) return false;
  const errno = (error.original as { errno?: unknown } | undefined)?.errno;
  return typeof errno === 'number' && CHARSET_ERRNOS.has(errno);
}

/** The client of that name, or `null` when there is none or none could have it. */
export async function findClientByName(Client: DurinClientModel, name: string): Promise<DurinClient | null> {
  if (!isPlausibleClientName(name)) return null;
  try {
    return await Client.findOne({ where: { name } });
  } catch (error) {
    if (isCharsetError(error)) return null;
    throw error;
  }
}
