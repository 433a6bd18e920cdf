import { z } from 'zod';
import { durinError } from '../errors.js';
import type { DurinEvents } from '../core/events.js';
import { storableIp } from '../core/requestFacts.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinClient } from '../models/types.js';
import type { DurinContext } from '../request/context.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';
import { sessionAttributes, traced, type DurinTelemetry } from '../core/telemetry.js';
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

export interface DurinLoginOutput<TSerializedUser> {
  /** The token: shown this once, never stored. Absent with `transport: 'cookie'`, where it is in the HttpOnly cookie. */
  token: string;
  expiry: Date;
  /** `serializeUser(user)`, when the app configured it. */
  user?: TSerializedUser;
}

/** What `login` uses. */
export interface LoginDeps<TUser, TSerializedUser> {
  readonly procedure: DurinRouterProcedures<TUser>['procedure'];
  /** The client a caller named, or null when there is none (or none could have that name). */
  readonly findClient: (name: string) => Promise<DurinClient | null>;
  readonly tokens: Pick<TokenLifecycle<TUser>, 'issue'>;
  readonly events: DurinEvents<TUser>;
  /** The login throttle (`loginThrottleRate`), per IP and username. */
  readonly enforceLogin: (ctx: DurinContext<TUser>, username: string) => Promise<void>;
  readonly authenticateUser: (credentials: { username: string; password: string }) => Promise<TUser | null> | TUser | null;
  readonly isUserActive: (user: TUser) => boolean | Promise<boolean>;
  readonly serializeUser: ((user: TUser) => TSerializedUser) | undefined;
  /** The `durin.login` span; null when the app passed no `telemetry`. */
  readonly telemetry: DurinTelemetry | null;
}

export function loginProcedure<TUser, TSerializedUser>(deps: LoginDeps<TUser, TSerializedUser>) {
  const { procedure, findClient, tokens, events, enforceLogin, authenticateUser, isUserActive, serializeUser } = deps;
  return procedure.input(loginInput).mutation(
    traced(deps.telemetry, 'durin.login', async function login({ ctx, input }, span): Promise<DurinLoginOutput<TSerializedUser>> {
      if (input.name !== null && input.name.length > MAX_SESSION_NAME) throw durinError('SESSION_NAME_TOO_LONG');
      // Refused before anything is counted or issued: no token is made that could not be delivered.
      const cookie = input.transport === 'cookie' ? cookieSessionOf(ctx) : null;
      await enforceLogin(ctx, input.username);
      const user = await authenticateUser({ username: input.username, password: input.password });
      if (!user || !(await isUserActive(user))) throw durinError('INVALID_CREDENTIALS');
      const clientName = input.client?.trim();
      if (!clientName) throw durinError('CLIENT_NOT_SPECIFIED');
      const client = await findClient(clientName);
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
        return { expiry: auth.expiry, ...shown } as DurinLoginOutput<TSerializedUser>;
      }
      return { token, expiry: auth.expiry, ...shown };
    }),
  );
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinLoginOutput`. */
export type LoginOutput<TSerializedUser> = DurinLoginOutput<TSerializedUser>;
