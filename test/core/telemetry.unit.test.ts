import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS, type DurinErrorId } from '../../src/errors.js';
import { authOutcome } from '../../src/core/telemetry.js';

describe('authOutcome', () => {
  test('maps each refusal of the request path to its outcome, and anything else to "error"', () => {
    const outcomes = Object.fromEntries((Object.keys(DURIN_ERRORS) as DurinErrorId[]).map((id) => [id, authOutcome(id, false)]));
    expect(outcomes).toMatchObject({
      HEADER_NO_CREDENTIALS: 'malformed',
      HEADER_HAS_SPACES: 'malformed',
      TOKEN_INVALID: 'invalid',
      TOKEN_EXPIRED: 'expired',
      USER_INACTIVE: 'inactive',
      CSRF_FAILED: 'csrf',
      AUTH_BACKEND_FAILED: 'error',
      BACKEND_FAILED: 'error',
    });
  });

  test('no failure is "ok" when a token was verified and "anonymous" when none was', () => {
    expect(authOutcome(null, true)).toBe('ok');
    expect(authOutcome(null, false)).toBe('anonymous');
  });
});
