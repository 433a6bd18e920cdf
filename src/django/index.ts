/**
 * The `trpc-durin/django` entry: converts a django-rest-durin database in place, so a team moving
 * its API from Django to tRPC keeps every token working.
 */
export { importDjangoDurin } from './importDjangoDurin.js';
export type {
  DurinDjangoImportReport,
  DurinDjangoImportOptions,
  DurinRoundedTtl,
  DjangoImportReport,
  ImportDjangoDurinOptions,
  RoundedTtl,
} from './importDjangoDurin.js';
