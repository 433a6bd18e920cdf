import type { Verification } from '../core/verification.js';
import { durinError } from '../errors.js';
import type { DurinAuthToken } from '../models/types.js';

/**
 * The per-operation check of a WebSocket connection: tRPC makes that context once,
 * so each protected operation verifies the token again, through the same (cached or uncached)
 * lookup an HTTP request would use, and fails with what that request would get.
 */
export async function authenticateAgain<TUser>(
  recheck: () => Promise<Verification<unknown>>,
): Promise<{ user: TUser; auth: DurinAuthToken<TUser> }> {
  let result: Verification<unknown>;
  try {
    result = await recheck();
  } catch (cause) {
    // An outage is not "Invalid token.".
    throw durinError('AUTH_BACKEND_FAILED', undefined, cause);
  }
  if (!result.ok) throw durinError(result.error);
  return { user: result.value.user as TUser, auth: result.value.auth as DurinAuthToken<TUser> };
}
