import { type Model, type Sequelize } from 'sequelize-typescript';
import { createDurin } from '../../src/index.js';

// The app's declared abilities type every place an ability is named: a misspelt one does not compile.
declare const sequelize: Sequelize;
declare const User: typeof Model & (new () => Model);

const durin = createDurin({
  sequelize,
  userModel: User,
  authenticateUser: () => null,
  abilities: ['posts:read', 'posts:write'],
});

export const read = durin.requireAbilities('posts:read', 'posts:write');
// @ts-expect-error a misspelt ability
export const typo = durin.requireAbilities('posts:raed');
// @ts-expect-error at least one ability
export const none = durin.requireAbilities();
export const can: boolean = durin.can(null, 'posts:read');
// @ts-expect-error a misspelt ability
export const cannot: boolean = durin.can(null, 'post:read');
export const client = durin.clients.create({ name: 'reader', abilities: ['posts:read'] });
// @ts-expect-error an undeclared client ability
export const badClient = durin.clients.create({ name: 'reader', abilities: ['admin'] });
