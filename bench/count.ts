import { parseArgs } from 'node:util';
import { createDatabase, type Dialect } from './database.js';
import { countInstructions, instructionCases } from './instructions.js';
import type { ServerMode } from './server.js';

/**
 * Instructions per request of chosen modes under callgrind (bench/instructions.ts), without the
 * rest of `npm run bench`: the quick check of a change to the request path.
 *
 *   npx tsx bench/count.ts --dialect sqlite --modes baseline,cached,forged [--keep-dumps]
 */

const { values: args } = parseArgs({
  options: {
    dialect: { type: 'string', default: 'sqlite' },
    modes: { type: 'string', default: 'baseline,baselineMiddleware,raw,token,cached,cachedNoMiddleware,forged' },
    warmup: { type: 'string', default: '1000' },
    requests: { type: 'string', default: '300' },
    parallel: { type: 'string', default: '2' },
    // Keep the callgrind dumps, for `callgrind_annotate --inclusive=yes DUMP` (functions by instructions).
    'keep-dumps': { type: 'boolean', default: false },
  },
});
const dialect = args.dialect as Dialect;
const db = await createDatabase(dialect, process.env.DURIN_TEST_MYSQL_URL);
try {
  const started = Date.now();
  const counts = await countInstructions({
    dialect,
    database: db.database,
    cases: instructionCases(args.modes!.split(',') as ServerMode[], db),
    warmup: Number(args.warmup),
    requests: Number(args.requests),
    parallel: Number(args.parallel),
    keepDumps: args['keep-dumps'],
  });
  for (const [name, count] of Object.entries(counts)) {
    console.log(
      `${name.padEnd(20)} ${Math.round(count.perRequest).toLocaleString('en')} instructions per request (left out: compiling ${Math.round(count.compilePerRequest).toLocaleString('en')}, mark-compact ${Math.round(count.majorGcPerRequest).toLocaleString('en')})`,
    );
  }
  console.log(
    `${dialect}, ${args.warmup} requests of warm-up, ${args.requests} counted, in ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
} finally {
  await db.drop();
}
