import { createHTTPServer } from '@trpc/server/adapters/standalone';
import { appRouter, createContext } from './router.js';
import { setUp } from './setup.js';

await setUp();
const port = Number(process.env.PORT ?? 3000);
// #region server
const server = createHTTPServer({ router: appRouter, createContext });
server.listen(port);
// #endregion server
server.on('listening', () => console.log(`listening on http://localhost:${port}`));
