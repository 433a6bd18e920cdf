import * as trpcExpress from '@trpc/server/adapters/express';
import express from 'express';
import { appRouter, createContext } from './router.js';
import { setUp } from './setup.js';

await setUp();
const port = Number(process.env.PORT ?? 3000);
// #region server
const app = express();
app.use('/trpc', trpcExpress.createExpressMiddleware({ router: appRouter, createContext }));
app.listen(port, () => console.log(`listening on http://localhost:${port}/trpc`));
// #endregion server
