/**
 * trpc-durin/client: the browser's (and Node's) side of durin, with `@trpc/client` 11 as its only
 * peer. It imports nothing from the server side of this package.
 * @see README "The client: trpc-durin/client"
 */
export {
  createDurinAuth,
  type DurinAuth,
  type DurinAuthOptions,
  type DurinAuthState,
  type DurinAuthStorage,
  type DurinAttachableWsClient,
  type DurinSignOutReason,
} from './createDurinAuth.js';
