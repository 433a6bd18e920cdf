import { initTRPC } from '@trpc/server';
import type { FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch';
import superjson from 'superjson';
import { durinErrorFormatter } from 'trpc-durin';
import { durin, sequelize } from './durin.js';

// The app's context includes durin's, so durin's procedures can be concat-ed.
// #region context
// fetch has no socket: pass the IP your platform gives you (here the x-real-ip header that the
// proxy in front sets), else every caller shares the address "unknown" for throttling.
export const createContext = async (opts: FetchCreateContextFnOptions) => ({
  ...(await durin.createDurinContext({ ...opts, ip: opts.req.headers.get('x-real-ip') ?? undefined })),
  db: sequelize,
});
// #endregion context

const t = initTRPC.context<typeof createContext>().create({
  transformer: superjson, // optional: durin works with and without a transformer
  errorFormatter: durinErrorFormatter, // optional: adds error.data.durinCode
});
export const publicProcedure = t.procedure;
export const protectedProcedure = t.procedure.concat(durin.protectedProcedure);

export const appRouter = t.router({
  auth: durin.routerFor(t), // login, refresh, logout, sessions, apiAccess...; a compile error if t's context lacks durin's
  me: protectedProcedure.query(({ ctx }) => ctx.user.username), // ctx.user and ctx.auth are non-null here
  // the client's rate (or defaultThrottleRate); over it: 429 with Retry-After
  report: protectedProcedure.concat(durin.throttle()).query(({ ctx }) => `report for ${ctx.user.username}`),
});
export type AppRouter = typeof appRouter;
