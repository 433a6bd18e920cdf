import { fastifyTRPCPlugin, type FastifyTRPCPluginOptions } from '@trpc/server/adapters/fastify';
import Fastify from 'fastify';
import { appRouter, createContext, type AppRouter } from './router.js';
import { setUp } from './setup.js';

await setUp();
const port = Number(process.env.PORT ?? 3000);
// #region server
const server = Fastify();
await server.register(fastifyTRPCPlugin, {
  prefix: '/trpc',
  trpcOptions: { router: appRouter, createContext } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
});
await server.listen({ port, host: '127.0.0.1' });
// #endregion server
console.log(`listening on http://localhost:${port}/trpc`);
