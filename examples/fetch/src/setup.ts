import { durin, sequelize } from './durin.js';
import { User } from './models/User.js';

/**
 * Development set-up: the tables (sync here; the migrations in production), a `web` client with a
 * small rate so that a 429 is easy to see, and the user `demo` / `demo-password`.
 */
export async function setUp(): Promise<void> {
  await sequelize.authenticate();
  await User.sync();
  await durin.sync();
  if (!(await durin.clients.get('web'))) await durin.clients.create({ name: 'web', tokenTtl: '14d', throttleRate: '3/m' });
  if (!(await User.findOne({ where: { username: 'demo' } }))) {
    await User.create({ username: 'demo', passwordHash: await User.hashPassword('demo-password') });
  }
}
