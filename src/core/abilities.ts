import { DURIN_CONFIG_PROBLEMS, invalidConfig, type DurinConfigSubject } from '../config/messages.js';

/**
 * Abilities (Sanctum's `tokenCan`): what a token may do, checked in memory from the token row the
 * lookup already read, so a cached request still costs no query. `null` grants every ability, and
 * so does `"*"` in a list.
 */

/** Every ability, written in a list. */
export const EVERY_ABILITY = '*';

const ABILITY_PATTERN = /^[\x21-\x7e]{1,64}$/;
/** An ability list longer than this is a mistake, and the column is not the place for it. */
export const MAX_ABILITIES = 100;

/** True when `abilities` (a token's or a client's) grants `ability`. */
export function hasAbility(abilities: readonly string[] | null | undefined, ability: string): boolean {
  if (abilities === null || abilities === undefined) return true;
  for (const granted of abilities) if (granted === ability || granted === EVERY_ABILITY) return true;
  return false;
}

/** The first ability of `requested` that `granted` lacks, or null when it grants them all (no escalation). */
export function missingAbility(requested: readonly string[] | null, granted: readonly string[] | null): string | null {
  if (hasAbility(granted, EVERY_ABILITY)) return null;
  if (requested === null) return EVERY_ABILITY;
  for (const ability of requested) if (!hasAbility(granted, ability)) return ability;
  return null;
}

/**
 * The app's vocabulary (`createDurin({ abilities })`), or null when the app declared none (then
 * any printable word up to 64 characters is an ability).
 */
export type AbilityVocabulary = ReadonlySet<string> | null;

/** Why an ability list is refused, or null when it is fine. */
export function abilityProblem(input: unknown, vocabulary: AbilityVocabulary): string | null {
  if (!Array.isArray(input)) return DURIN_CONFIG_PROBLEMS.abilityList(describe(input));
  if (input.length > MAX_ABILITIES) return DURIN_CONFIG_PROBLEMS.tooManyAbilities(MAX_ABILITIES);
  for (const ability of input) {
    if (typeof ability !== 'string' || !ABILITY_PATTERN.test(ability)) return DURIN_CONFIG_PROBLEMS.abilityForm(describe(ability));
    if (ability !== EVERY_ABILITY && vocabulary && !vocabulary.has(ability)) {
      return DURIN_CONFIG_PROBLEMS.abilityUndeclared(JSON.stringify(ability), [...vocabulary]);
    }
  }
  return null;
}

/** A checked ability list, deduplicated, in the order given; `null` stays null (every ability). */
export function normalizeAbilities(input: readonly string[] | null): readonly string[] | null {
  return input === null ? null : Object.freeze([...new Set(input)]);
}

/** Checks an ability list given to durin's API outside tRPC; throws a `DurinConfigError` naming the field. */
export function parseAbilities(
  input: unknown,
  vocabulary: AbilityVocabulary,
  where: { subject: DurinConfigSubject; field: string },
): readonly string[] | null {
  if (input === null || input === undefined) return null;
  const problem = abilityProblem(input, vocabulary);
  if (problem) throw invalidConfig(where.subject, where.field, problem);
  return normalizeAbilities(input as string[]);
}

/** The `abilities` option of `createDurin`: the app's vocabulary, checked once. */
export function parseVocabulary(input: unknown): AbilityVocabulary {
  if (input === undefined) return null;
  const problem = abilityProblem(input, null);
  if (problem) throw invalidConfig('option', 'abilities', problem);
  return new Set((input as string[]).filter((ability) => ability !== EVERY_ABILITY));
}

const describe = (value: unknown) => (typeof value === 'string' ? JSON.stringify(value) : String(value));
