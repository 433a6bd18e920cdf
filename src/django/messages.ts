/** The importer's messages live with every other message raised outside tRPC; this module keeps their old import path. */
export { DJANGO_IMPORT_ERRORS, DJANGO_ROW_PROBLEMS, fail } from '../config/messages.js';
