import { initTRPC } from '@trpc/server';
import type { CreateExpressContextOptions } from '@trpc/server/adapters/express';
import superjson from 'superjson';
import { durinErrorFormatter } from 'trpc-durin';
import { durin, sequelize } from './durin.js';

// The app's context includes durin's, so durin's procedures can be concat-ed.
export const createContext = async (opts: CreateExpressContextOptions) => ({
  ...(await durin.createDurinContext(opts)), // { user, auth, durin }
  db: sequelize,
});

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
