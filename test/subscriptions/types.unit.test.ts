import type { FetchCreateContextFnOptions } from '@trpc/server/adapters/fetch';
import type { CreateHTTPContextOptions } from '@trpc/server/adapters/standalone';
import type { CreateWSSContextFnOptions } from '@trpc/server/adapters/ws';
import { expectTypeOf, test } from 'vitest';
import type { Durin, DurinContextOptions } from '../../src/index.js';

/** one createContext serves HTTP, WebSocket and SSE, with no cast. */
test('the context factories take the ws adapter options as they are', () => {
  expectTypeOf<CreateWSSContextFnOptions>().toExtend<DurinContextOptions>();
  expectTypeOf<CreateHTTPContextOptions | CreateWSSContextFnOptions>().toExtend<Parameters<Durin['createDurinContext']>[0]>();
  expectTypeOf<FetchCreateContextFnOptions | CreateWSSContextFnOptions>().toExtend<Parameters<Durin['createCachedDurinContext']>[0]>();
});
