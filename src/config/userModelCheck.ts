import type { Model, ModelStatic } from 'sequelize';
import { DURIN_CONFIG_PROBLEMS, invalidConfig } from './messages.js';

/**
 * What the hand-written token lookup (tokenLookup.ts, one SQL query) can and cannot apply of the
 * app's user model. It honours `paranoid` (soft-deleted users
 * are "User inactive or deleted."). It cannot apply a `defaultScope` that filters or joins
 * (`where`, `include`) nor find hooks, which would run on `User.findOne` but not on a raw query:
 * such a model is refused at `createDurin`, so a user the app hides never authenticates.
 * A `defaultScope` that only picks attributes is accepted: `ctx.user` then has every column.
 */

const FIND_HOOKS = ['beforeFind', 'beforeFindAfterExpandIncludeAll', 'beforeFindAfterOptions', 'afterFind'] as const;

export function checkUserModel(userModel: ModelStatic<Model>): void {
  const fail = (what: string) => {
    throw invalidConfig('option', 'userModel', DURIN_CONFIG_PROBLEMS.unsupportedUserModel(what));
  };
  const scope = (userModel.options as unknown as { defaultScope?: Record<string, unknown> }).defaultScope ?? {};
  for (const key of ['where', 'include'] as const) {
    if (scope[key] !== undefined) fail(DURIN_CONFIG_PROBLEMS.scopeWith(key));
  }
  const hooks = userModel as unknown as { hasHook?: (name: string) => boolean };
  for (const hook of FIND_HOOKS) {
    if (hooks.hasHook?.(hook)) fail(DURIN_CONFIG_PROBLEMS.findHook(hook));
  }
}

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
  if (shadowed.length > 0) throw invalidConfig('option', 'userModel', DURIN_CONFIG_PROBLEMS.shadowedAttributes(userModel.name, shadowed));
}
