/** The CLI's messages live with every other message raised outside tRPC; this module keeps their old import path. */
export { CLI_ERRORS, CLI_OUTPUT, fail } from '../config/messages.js';
