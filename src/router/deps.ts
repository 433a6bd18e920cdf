import type { DurinEvents } from '../events.js';
import type { TokenLiveness } from '../liveness.js';
import type { DurinModels } from '../models/types.js';
import type { createProcedures, DurinTRPC } from '../procedures.js';
import type { ResolvedDurinSettings } from '../settings.js';
import type { createThrottling } from '../throttle/throttle.js';
import type { DurinTokens } from '../tokens.js';

/** What the procedures of durin's router are built from (one object, so each file takes one argument). */
export interface RouterDeps<TUser, TSerializedUser> {
  readonly t: DurinTRPC<TUser>;
  readonly procedures: ReturnType<typeof createProcedures<TUser>>;
  readonly models: DurinModels;
  readonly settings: ResolvedDurinSettings;
  readonly tokens: DurinTokens<TUser>;
  readonly events: DurinEvents<TUser>;
  readonly throttling: ReturnType<typeof createThrottling<TUser>>;
  readonly authenticateUser: (credentials: { username: string; password: string }) => Promise<TUser | null> | TUser | null;
  readonly isUserActive: (user: TUser) => boolean | Promise<boolean>;
  readonly serializeUser: ((user: TUser) => TSerializedUser) | undefined;
  /** Changes to tokens, local and remote (§12: `sessions.watch`). */
  readonly liveness: TokenLiveness;
}
