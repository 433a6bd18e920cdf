import { Sequelize } from 'sequelize-typescript';
import { createDurin } from 'trpc-durin';
import { User } from './models/User.js';

// DATABASE_URL: sqlite://./data.sqlite (the default) or mysql://user:password@host:3306/db
export const sequelize = new Sequelize(process.env.DATABASE_URL ?? 'sqlite://./data.sqlite', {
  models: [User],
  logging: false,
});

export const durin = createDurin({
  sequelize, // the app's instance; durin adds durin_client and durin_authtoken to it
  userModel: User, // any model with a primary key
  authenticateUser: async ({ username, password }) => {
    const user = await User.findOne({ where: { username } });
    return user && (await user.checkPassword(password)) ? user : null;
  },
  isUserActive: (user) => user.isActive, // optional; default: user.get('isActive') !== false
  serializeUser: (user) => ({ username: user.username }), // optional; login then returns `user`
  settings: { apiAccessClientName: 'api', defaultThrottleRate: '100/h' },
});
