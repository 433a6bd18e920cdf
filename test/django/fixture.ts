import { randomBytes } from 'node:crypto';
import { initTRPC } from '@trpc/server';
import superjson from 'superjson';
import { createDurin, durinErrorFormatter, type DurinContextOptions } from '../../src/index.js';
import type { TestApp } from '../helpers/app.js';
import { AuthUser, authenticateUser } from './djangoAuth.js';
import { createDjangoTables, djangoDatetime, insertClient, insertToken, insertUser, type ScratchDatabase } from './djangoDatabase.js';

/**
 * What django-rest-durin left behind, with the plaintexts the test knows: three users (carol
 * inactive), three clients (one with a TTL of 90.5 s, one for API keys), five tokens (one expired).
 */

const SECOND = 1000;
const DAY = 86_400 * SECOND;
const MICROSECONDS_PER_DAY = 86_400_000_000n;

export interface FixtureToken {
  readonly id: number;
  readonly token: string;
  readonly user: string;
  readonly client: string;
  readonly created: number;
  readonly expiry: number;
}

const token = () => randomBytes(32).toString('hex');

export async function fillDjangoDatabase(db: ScratchDatabase) {
  await createDjangoTables(db);
  await insertUser(db, 1, 'alice', 'alice-password');
  await insertUser(db, 2, 'bob', 'bob-password');
  await insertUser(db, 3, 'carol', 'carol-password', false);
  await insertClient(db, 1, 'web', MICROSECONDS_PER_DAY);
  await insertClient(db, 2, 'mobile', 90_500_000n, '100/h');
  await insertClient(db, 4, 'api', 365n * MICROSECONDS_PER_DAY);
  const now = Date.now();
  const wholeSecond = Math.floor(now / SECOND) * SECOND - 7 * DAY; // Django writes it without a fraction
  const rows = [
    { id: 1, user: 'alice', userId: 1, client: 'web', clientId: 1, created: now - 3600 * SECOND, micro: 457, ttl: DAY },
    { id: 3, user: 'alice', userId: 1, client: 'api', clientId: 4, created: wholeSecond, micro: 0, ttl: 365 * DAY },
    { id: 4, user: 'bob', userId: 2, client: 'web', clientId: 1, created: now - 60 * SECOND, micro: 999, ttl: DAY },
    { id: 5, user: 'bob', userId: 2, client: 'mobile', clientId: 2, created: now - 2 * DAY, micro: 1, ttl: 90_500 },
    { id: 6, user: 'carol', userId: 3, client: 'web', clientId: 1, created: now - 10 * SECOND, micro: 0, ttl: DAY },
  ];
  const tokens: Record<'aliceWeb' | 'aliceApi' | 'bobWeb' | 'bobExpired' | 'carolWeb', FixtureToken> = {} as never;
  const keys = ['aliceWeb', 'aliceApi', 'bobWeb', 'bobExpired', 'carolWeb'] as const;
  for (const [index, row] of rows.entries()) {
    const value = token();
    const expiry = row.created + row.ttl;
    await insertToken(db, {
      id: row.id,
      token: value,
      created: djangoDatetime(row.created, row.micro),
      expiry: djangoDatetime(expiry, row.micro),
      clientId: row.clientId,
      userId: row.userId,
    });
    tokens[keys[index]!] = { id: row.id, token: value, user: row.user, client: row.client, created: row.created, expiry };
  }
  return tokens;
}

/** An app on the imported database: Django's auth_user as the user model, the README's authenticateUser. */
export function djangoApp(db: ScratchDatabase) {
  db.sequelize.addModels([AuthUser]);
  const durin = createDurin({
    sequelize: db.sequelize,
    userModel: AuthUser,
    authenticateUser,
    settings: { apiAccessClientName: 'api' },
  });
  const createContext = async (opts: DurinContextOptions) => ({ ...(await durin.createDurinContext(opts)) });
  const createCachedContext = async (opts: DurinContextOptions) => ({ ...(await durin.createCachedDurinContext(opts)) });
  const t = initTRPC
    .context<Awaited<ReturnType<typeof createContext>>>()
    .create({ transformer: superjson, errorFormatter: durinErrorFormatter });
  const router = t.router({
    auth: durin.router,
    me: t.procedure.concat(durin.protectedProcedure).query(({ ctx }) => ({
      id: ctx.user.id,
      username: ctx.user.username,
      client: ctx.auth.client.name,
      tokenId: Number(ctx.auth.id),
    })),
  });
  // startTestServer needs only these members; its client is typed for the test app's router.
  const app = { router, createContext, createCachedContext, transformer: superjson } as unknown as TestApp;
  return { durin, app };
}
