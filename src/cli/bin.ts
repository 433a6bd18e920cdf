#!/usr/bin/env node
import { runCli } from './run.js';

// The whole executable: runCli prints, closes what it opened (durin, its database connection, its
// Redis client) and never rejects. An --app module may have opened more (its own Redis client,
// a pool, a timer) that nothing here can close, so once the output is flushed the process exits
// with the command's code rather than wait for the app's handles: a cron job or a deploy step ends.
const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
const flushed = (stream: NodeJS.WriteStream) => new Promise<void>((resolve) => stream.write('', () => resolve()));
await Promise.all([flushed(process.stdout), flushed(process.stderr)]);
process.exit(code);
