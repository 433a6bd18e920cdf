import { z } from 'zod';
import { durinError } from '../errors.js';
import type { DurinEvents } from '../core/events.js';
import { storableIp } from '../core/requestFacts.js';
import type { TokenLifecycle } from '../core/tokens.js';
import type { DurinClient } from '../models/types.js';
import type { DurinContext } from '../request/context.js';
import type { DurinRouterProcedures } from './hideBackendErrors.js';

/**
 * durin's LoginView: credentials first (missing or blank → BAD_REQUEST from the
 * input schema, wrong or inactive → "Unable to log in with provided credentials."), then the
 * client, then a token for (user, client), rotating the one it may already have.
 */

const required = (field: string) => ({
  error: (issue: { input: unknown }) => (issue.input === undefined ? `${field}: This field is required.` : `${field}: Not a valid string.`),
});

export const loginInput = z.object({
  username: z
    .string(required('username'))
    .trim()
    .min(1, 'username: This field may not be blank.')
    .max(254, 'username: Ensure this field has no more than 254 characters.'),
  // DRF keeps the password as typed (trim_whitespace=False).
  password: z
    .string(required('password'))
    .min(1, 'password: This field may not be blank.')
    .max(1024, 'password: Ensure this field has no more than 1024 characters.'),
  // Optional here so that "No client specified." comes after the credential checks, as in durin.
  // No length bound here: an overlong name is "No client with that name." (checked before any query).
  client: z.string().nullish(),
  // what the user calls this session ("Firefox on Linux"); trimmed, empty → null.
  name: z
    .string()
    .trim()
    .max(64, 'name: Ensure this field has no more than 64 characters.')
    .nullish()
    .transform((name) => name || null),
});

export interface DurinLoginOutput<TSerializedUser> {
  /** The token: shown this once, never stored. */
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
}

export function loginProcedure<TUser, TSerializedUser>(deps: LoginDeps<TUser, TSerializedUser>) {
  const { procedure, findClient, tokens, events, enforceLogin, authenticateUser, isUserActive, serializeUser } = deps;
  return procedure.input(loginInput).mutation(async function login({ ctx, input }): Promise<DurinLoginOutput<TSerializedUser>> {
    await enforceLogin(ctx, input.username);
    const user = await authenticateUser({ username: input.username, password: input.password });
    if (!user || !(await isUserActive(user))) throw durinError('INVALID_CREDENTIALS');
    const clientName = input.client?.trim();
    if (!clientName) throw durinError('CLIENT_NOT_SPECIFIED');
    const client = await findClient(clientName);
    if (!client) throw durinError('CLIENT_UNKNOWN');
    const usedFrom = { ip: storableIp(ctx.durin.ip), userAgent: ctx.durin.userAgent ?? null };
    const { token, auth } = await tokens.issue(user, client, { name: input.name, usedFrom });
    events.emit('userLoggedIn', { user, auth });
    const output: DurinLoginOutput<TSerializedUser> = { token, expiry: auth.expiry };
    if (serializeUser) output.user = serializeUser(user);
    return output;
  });
}

// The names before every public type carried the `Durin` prefix, kept for one release.
/** @deprecated Use `DurinLoginOutput`. */
export type LoginOutput<TSerializedUser> = DurinLoginOutput<TSerializedUser>;
