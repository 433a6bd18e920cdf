import type { DurinEvents } from '../core/events.js';
import type { TokenLiveness } from '../core/liveness.js';
import type { DurinModels } from '../models/types.js';
import type { createProcedures, DurinTRPC } from '../request/procedures.js';
import type { ResolvedDurinSettings } from '../config/settings.js';
import type { createThrottling } from '../throttle/throttle.js';
import type { DurinTokens } from '../core/tokens.js';
import type { DurinTelemetry } from '../core/telemetry.js';
import type { DurinApiKeys } from '../core/apiKeys.js';

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
  /** Changes to tokens, local and remote (`sessions.watch` listens). */
  readonly liveness: TokenLiveness;
  /** Spans around login, refresh, logout and revocations; null when the app passed no `telemetry`. */
  readonly telemetry: DurinTelemetry | null;
  /** Named API keys (`apiKeys.*`). */
  readonly apiKeys: DurinApiKeys<TUser>;
}
