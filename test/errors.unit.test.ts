import { TRPCError } from '@trpc/server';
import { describe, expect, test } from 'vitest';
import { DURIN_ERRORS, durinErrorFormatter, getDurinCode } from '../src/index.js';
import { durinError, formatWait } from '../src/errors.js';

describe('errors', () => {
  test('the message table (the one place the literal texts are pinned)', () => {
    expect(Object.fromEntries(Object.entries(DURIN_ERRORS).map(([id, e]) => [id, `${e.code} ${e.durinCode}: ${e.message}`])))
      .toMatchInlineSnapshot(`
        {
          "ABILITY_MISSING": "FORBIDDEN ABILITY_MISSING: This token lacks the ability: {ability}.",
          "ADMIN_CURSOR_INVALID": "BAD_REQUEST INVALID_INPUT: Invalid cursor.",
          "ADMIN_INPUT_INVALID": "BAD_REQUEST INVALID_INPUT: Invalid {field}: {problem}",
          "ADMIN_NOT_CONFIGURED": "FORBIDDEN ADMIN_NOT_CONFIGURED: Administration is not configured.",
          "ADMIN_NOT_FOUND": "NOT_FOUND NOT_FOUND: Not found.",
          "ADMIN_REQUIRED": "FORBIDDEN ADMIN_REQUIRED: You do not have permission to perform this action.",
          "API_ACCESS_CLIENT_MISSING": "PRECONDITION_FAILED API_ACCESS_NOT_CONFIGURED: API access is not configured: no client named "{client}" exists; create it (trpc-durin create-client {client}).",
          "API_ACCESS_EXISTS": "CONFLICT API_ACCESS_EXISTS: An API token was already issued to you.",
          "API_ACCESS_NOT_CONFIGURED": "PRECONDITION_FAILED API_ACCESS_NOT_CONFIGURED: API access is not configured: set settings.apiAccessClientName.",
          "API_ACCESS_NOT_FOUND": "NOT_FOUND NOT_FOUND: Not found.",
          "API_KEY_INPUT_INVALID": "BAD_REQUEST INVALID_INPUT: Invalid {field}: {problem}",
          "API_KEY_LIMIT": "CONFLICT API_KEY_LIMIT: You have too many API keys.",
          "API_KEY_NAME_TAKEN": "CONFLICT API_KEY_NAME_TAKEN: Invalid name: you already have an API key named "{name}".",
          "API_KEY_NOT_FOUND": "NOT_FOUND NOT_FOUND: Not found.",
          "AUTH_BACKEND_FAILED": "INTERNAL_SERVER_ERROR AUTH_BACKEND_FAILED: The token could not be verified: the authentication backend failed.",
          "BACKEND_FAILED": "INTERNAL_SERVER_ERROR BACKEND_FAILED: The request could not be completed: the authentication backend failed.",
          "CLIENT_EXISTS": "CONFLICT CLIENT_EXISTS: A client named "{name}" already exists.",
          "CLIENT_FORBIDDEN": "FORBIDDEN CLIENT_FORBIDDEN: You do not have permission to perform this action.",
          "CLIENT_IP_UNKNOWN": "INTERNAL_SERVER_ERROR CLIENT_IP_UNKNOWN: trpc-durin cannot throttle this request: the client IP is unknown. Pass it to the context factory ({ ...opts, ip }) or set settings.trustProxy.",
          "CLIENT_NOT_SPECIFIED": "BAD_REQUEST CLIENT_NOT_SPECIFIED: No client specified.",
          "CLIENT_UNKNOWN": "BAD_REQUEST CLIENT_UNKNOWN: No client with that name.",
          "CONTEXT_MISSING": "INTERNAL_SERVER_ERROR CONTEXT_MISSING: This app's context lacks durin's (ctx.durin): spread \`...(await durin.createDurinContext(opts))\` into the createContext of the server that mounts durin.router.",
          "COOKIE_NOT_CONFIGURED": "BAD_REQUEST COOKIE_NOT_CONFIGURED: Cookie sessions are not configured.",
          "CSRF_FAILED": "FORBIDDEN CSRF_FAILED: Cross-site request refused.",
          "HEADER_HAS_SPACES": "UNAUTHORIZED HEADER_MALFORMED: Invalid token header. Token string should not contain spaces.",
          "HEADER_NO_CREDENTIALS": "UNAUTHORIZED HEADER_MALFORMED: Invalid token header. No credentials provided.",
          "INVALID_CREDENTIALS": "BAD_REQUEST INVALID_CREDENTIALS: Unable to log in with provided credentials.",
          "NOT_AUTHENTICATED": "UNAUTHORIZED NOT_AUTHENTICATED: Authentication credentials were not provided.",
          "SESSION_IS_CURRENT": "BAD_REQUEST SESSION_IS_CURRENT: Can't delete token if the request is authed with it. Use logout instead.",
          "SESSION_NAME_TOO_LONG": "BAD_REQUEST NAME_TOO_LONG: name: Ensure this field has no more than 64 characters.",
          "SESSION_NOT_FOUND": "NOT_FOUND NOT_FOUND: Not found.",
          "THROTTLED": "TOO_MANY_REQUESTS THROTTLED: Request was throttled. Expected available in {wait}.",
          "TOKEN_EXPIRED": "UNAUTHORIZED TOKEN_EXPIRED: The given token has expired.",
          "TOKEN_INVALID": "UNAUTHORIZED TOKEN_INVALID: Invalid token.",
          "USER_INACTIVE": "UNAUTHORIZED USER_INACTIVE: User inactive or deleted.",
        }
      `);
  });

  test('a refusal of the caller (401, 403, 429) carries no stack frames; every other error keeps its stack', () => {
    const frames = (error: Error | undefined) =>
      (error?.stack ?? '').split('\n').filter((line) => line.trimStart().startsWith('at ')).length;
    for (const id of ['TOKEN_INVALID', 'CLIENT_FORBIDDEN', 'THROTTLED'] as const) {
      const error = durinError(id, { wait: formatWait(3) });
      expect(error.message).toBe(DURIN_ERRORS[id].message.replace('{wait}', '3 seconds'));
      expect(frames(error)).toBe(0);
      expect(frames(error.cause)).toBe(0);
    }
    for (const id of ['AUTH_BACKEND_FAILED', 'SESSION_NOT_FOUND', 'API_ACCESS_NOT_CONFIGURED'] as const) {
      const error = durinError(id, { client: 'api' });
      expect(frames(error)).toBeGreaterThan(0);
      expect(frames(error.cause)).toBeGreaterThan(0);
    }
    // The limit is put back: errors made afterwards, by anyone, have their frames.
    expect(frames(new Error('after'))).toBeGreaterThan(0);
  });

  test('durinError builds a TRPCError whose cause carries the durin code', () => {
    const error = durinError('THROTTLED', { wait: formatWait(1) });
    expect(error).toBeInstanceOf(TRPCError);
    expect(error.code).toBe('TOO_MANY_REQUESTS');
    expect(error.message).toBe('Request was throttled. Expected available in 1 second.');
    expect(formatWait(7)).toBe('7 seconds');
    expect(getDurinCode(error)).toBe('THROTTLED');
    expect(getDurinCode(new TRPCError({ code: 'BAD_REQUEST' }))).toBeNull();
  });

  test('durinErrorFormatter adds data.durinCode and keeps the rest of the shape', () => {
    const shape = { message: 'm', code: -32001, data: { code: 'UNAUTHORIZED', httpStatus: 401 } };
    expect(durinErrorFormatter({ shape, error: durinError('TOKEN_EXPIRED') })).toEqual({
      ...shape,
      data: { ...shape.data, durinCode: 'TOKEN_EXPIRED' },
    });
    expect(durinErrorFormatter({ shape, error: new TRPCError({ code: 'INTERNAL_SERVER_ERROR' }) })).toEqual(shape);
    expect('durinCode' in durinErrorFormatter({ shape, error: new TRPCError({ code: 'BAD_REQUEST' }) }).data).toBe(false);
  });
});
