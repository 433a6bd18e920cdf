#!/usr/bin/env node
import { runCli } from './run.js';

// The whole executable: runCli prints, closes its database connection and never rejects; the
// exit code goes to process.exitCode (no process.exit), so pending output is flushed first.
process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
