import { z } from 'zod';
import { findClientByName } from '../core/clientName.js';
import { durinError } from '../errors.js';
import { storableIp } from '../core/requestFacts.js';
import type { RouterDeps } from './deps.js';
import { sessionAttributes, traced } from '../core/telemetry.js';
import { cookieSessionOf } from './cookieTransport.js';

/**
 * durin's LoginView: credentials first (missing or blank → BAD_REQUEST from the
 * input schema, wrong or inactive → "Unable to log in with provided credentials."), then the
 * client, then a token for (user, client), rotating the one it may already have.
 */

const required = (field: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? `${field}: This field is required.` : `${field}: Not a valid string.`),
});

/** The longest session name durin_authtoken.name holds. */
const MAX_SESSION_NAME = 64;

export const loginInput = z.object({
  username: z
    .string(required('username'))
    .trim()
    .min(1, 'username: This field may not be blank.')
    .max(254, 'username: Ensure this field has no more than 254 characters.')
    // DRF refuses NUL in every CharField; a database would fail on it (or on other controls) with a 500.
    .refine((name) => !name.includes('\u0000'), 'username: Null characters are not allowed.')
    .refine((name) => !/\p{Cc}/u.test(name), 'username: Control characters are not allowed.'),
  // DRF keeps the password as typed (trim_whitespace=False).
  password: z
    .string(required('password'))
    .min(1, 'password: This field may not be blank.')
    .max(1024, 'password: Ensure this field has no more than 1024 characters.')
    .refine((password) => !password.includes('\u0000'), 'password: Null characters are not allowed.'),
  // Optional here so that "No client specified." comes after the credential checks, as in durin.
  // No length bound here: an overlong name is "No client with that name." (checked before any query).
  client: z.string().nullish(),
  // what the user calls this session ("Firefox on Linux"); trimmed, empty → null. Its length is
  // checked in the procedure, so an overlong name is one sentence with a durinCode, not zod's issue list.
  name: z
    .string()
    .trim()
    .nullish()
    .transform((name) => name || null),
  // "cookie": the token goes into the HttpOnly session cookie, not into the answer.
  transport: z.enum(['header', 'cookie']).nullish(),
});

export interface LoginOutput<TSerializedUser> {
  /** The token: shown this once, never stored. Absent with `transport: 'cookie'`, where it is in the HttpOnly cookie. */
  token: string;
  expiry: Date;
  /** `serializeUser(user)`, when the app configured it. */
  user?: TSerializedUser;
}

export function loginProcedure<TUser, TSerializedUser>(deps: RouterDeps<TUser, TSerializedUser>) {
  const { t, models, tokens, events, throttling, authenticateUser, isUserActive, serializeUser } = deps;
  return t.procedure.input(loginInput).mutation(
    traced(deps.telemetry, 'durin.login', async function login({ ctx, input }, span): Promise<LoginOutput<TSerializedUser>> {
      if (input.name !== null && input.name.length > MAX_SESSION_NAME) throw durinError('SESSION_NAME_TOO_LONG');
      // Refused before anything is counted or issued: no token is made that could not be delivered.
      const cookie = input.transport === 'cookie' ? cookieSessionOf(ctx) : null;
      await throttling.enforceLogin(ctx, input.username);
      const user = await authenticateUser({ username: input.username, password: input.password });
      if (!user || !(await isUserActive(user))) throw durinError('INVALID_CREDENTIALS');
      const clientName = input.client?.trim();
      if (!clientName) throw durinError('CLIENT_NOT_SPECIFIED');
      const client = await findClientByName(models.Client, clientName);
      if (!client) throw durinError('CLIENT_UNKNOWN');
      const usedFrom = { ip: storableIp(ctx.durin.ip), userAgent: ctx.durin.userAgent ?? null };
      const { token, auth } = await tokens.issue(user, client, { name: input.name, usedFrom });
      span?.setAttributes(sessionAttributes(auth));
      events.emit('userLoggedIn', { user, auth });
      const shown = serializeUser ? { user: serializeUser(user) } : {};
      if (cookie) {
        cookie.issue(token, auth.expiry);
        // tRPC infers one output type per procedure: declaring `token` optional would make every
        // header-mode caller check for it, so the cookie answer (documented on `token`) is cast.
        return { expiry: auth.expiry, ...shown } as LoginOutput<TSerializedUser>;
      }
      return { token, expiry: auth.expiry, ...shown };
    }),
  );
}
