/**
 * The `trpc-durin/migrations` entry: durin's tables as versioned migrations for umzug or
 * sequelize-cli (see createDurinMigrations.ts).
 */
export {
  createDurinMigrations,
  getDurinMigration,
  migrations,
  type DurinMigration,
  type DurinMigrationOptions,
} from './createDurinMigrations.js';

/**
 * @deprecated Import from `trpc-durin/django`; this re-export stays for one release.
 */
export { importDjangoDurin } from '../django/importDjangoDurin.js';
/** @deprecated Import from `trpc-durin/django`; these re-exports stay for one release. */
export type {
  DurinDjangoImportReport,
  DurinDjangoImportOptions,
  DurinRoundedTtl,
  DjangoImportReport,
  ImportDjangoDurinOptions,
  RoundedTtl,
} from '../django/importDjangoDurin.js';
