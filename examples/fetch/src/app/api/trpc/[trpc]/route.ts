import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { appRouter, createContext } from '../../../../router.js';

// A Next.js App Router route handler: app/api/trpc/[trpc]/route.ts
// #region route
const handler = (req: Request) => fetchRequestHandler({ endpoint: '/api/trpc', req, router: appRouter, createContext });
export { handler as GET, handler as POST };
// #endregion route
