import type { Model, ModelStatic } from 'sequelize';
import type { CliApp } from './app.js';
import { CLI_ERRORS, fail } from './messages.js';

/**
 * The user a command names by primary key value (`create-api-key 42 ci`), read through the app's
 * own user model, so its scopes, paranoid setting and key type apply as they do in the app.
 */
export async function findUser(app: CliApp, value: string): Promise<Model> {
  const User = app.durin.models.AuthToken.associations.user!.target as ModelStatic<Model>;
  return (await User.findByPk(value)) ?? fail(CLI_ERRORS.noUser(app.user.table, app.user.key, value));
}
