import { importDjangoDurin, type DurinDjangoImportReport } from '../django/importDjangoDurin.js';
import type { CliCommand } from './command.js';
import { CLI_OUTPUT } from './messages.js';

/** `trpc-durin import-django`: `importDjangoDurin` on DATABASE_URL, its report as lines. */

/** Microseconds as seconds, with the fraction: "90500000" → "90.5". */
function seconds(microseconds: string): string {
  const value = BigInt(microseconds);
  const fraction = (value % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '');
  return `${value / 1_000_000n}${fraction ? `.${fraction}` : ''}`;
}

export function describeImport(report: DurinDjangoImportReport, dryRun: boolean): string[] {
  if (report.outcome === 'alreadyImported') {
    const dropped = report.droppedLeftovers.length > 0;
    const leftovers = dropped ? [CLI_OUTPUT.djangoLeftovers(report.droppedLeftovers.join(', '), dryRun)] : [];
    return [...leftovers, CLI_OUTPUT.djangoAlreadyImported(report.pendingMigrations.join(', '), dropped && !dryRun)];
  }
  const userTable = report.userTable ?? '?';
  const counts = { clients: report.clients, tokens: report.tokens, expired: report.expiredTokens };
  const summary = dryRun
    ? CLI_OUTPUT.djangoDryRun(counts, userTable, report.migrations.join(', '))
    : CLI_OUTPUT.djangoImported(counts, userTable);
  const notes = report.roundedTtls.map((ttl) =>
    CLI_OUTPUT.djangoTtlRounded({ client: ttl.client, seconds: seconds(ttl.microseconds), rounded: ttl.seconds }, dryRun),
  );
  const applied = dryRun ? [] : report.migrations.map((name) => CLI_OUTPUT.migrationApplied(name));
  return [summary, ...applied, ...notes];
}

export const importDjangoCommand: CliCommand = {
  name: 'import-django',
  summary: "Convert django-rest-durin's tables in place, so every token issued by Django keeps working.",
  details: [
    'Replaces every plaintext token with its SHA-256 digest; keeps ids, users, clients, TTLs (rounded up to whole seconds), rates, created and expiry.',
    'Applies and records every trpc-durin migration: "trpc-durin migrate" afterwards has nothing to do. A second run changes nothing.',
    "Refuses, changing nothing, a database that is not durin's and rows the new schema cannot hold. Stop the Django app first; back up first.",
  ],
  inspectsTables: true,
  options: {
    'dry-run': { type: 'boolean', help: 'check everything and print what would change; change nothing' },
    'user-table': {
      type: 'string',
      value: 'NAME',
      help: 'the user table (default: the one durin_authtoken.user_id references, e.g. auth_user)',
    },
    'user-key': { type: 'string', value: 'NAME', help: 'its primary key column (default: the referenced column)' },
  },
  async run({ db, values, print }) {
    const dryRun = values['dry-run'] === true;
    const report = await importDjangoDurin(db.sequelize, {
      dryRun,
      ...(typeof values['user-table'] === 'string' ? { userTable: values['user-table'] } : {}),
      ...(typeof values['user-key'] === 'string' ? { userKey: values['user-key'] } : {}),
    });
    for (const line of describeImport(report, dryRun)) print(line);
  },
};
