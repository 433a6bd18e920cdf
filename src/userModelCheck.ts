import type { Model, ModelStatic } from 'sequelize';
import { DURIN_CONFIG_MESSAGES, DurinConfigError } from './errors.js';

/**
 * The class-field trap, caught at `createDurin` instead of as a 500 at the first login: with
 * `useDefineForClassFields` (TypeScript's default from target ES2022, and esbuild's), a model's
 * `username!: string` becomes an own property of every instance, initialised to `undefined`,
 * which hides the getter Sequelize puts on the prototype. Every attribute then reads as
 * `undefined` (the README's `user.checkPassword` fails on `this.passwordHash.split`).
 *
 * One throwaway instance is built (never saved) and its own properties are compared with the
 * model's attribute names; a model whose build itself throws is left for the app to report.
 */
export function checkUserModelFields(userModel: ModelStatic<Model>): void {
  let probe: Model;
  try {
    probe = userModel.build({}, { isNewRecord: true });
  } catch {
    return;
  }
  const shadowed = Object.keys(userModel.getAttributes()).filter((name) => Object.hasOwn(probe, name));
  if (shadowed.length > 0) throw new DurinConfigError(DURIN_CONFIG_MESSAGES.shadowedAttributes(userModel.name, shadowed));
}
