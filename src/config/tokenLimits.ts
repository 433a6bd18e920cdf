/**
 * Bounds on the token format. The settings check them at start-up, and the request path uses
 * `MAX_TOKEN_LENGTH` to refuse an overlong token before hashing or looking it up.
 */

/** Longest prefix `settings.tokenPrefix` accepts. */
export const MAX_TOKEN_PREFIX_LENGTH = 16;
/** Longest token body `settings.tokenCharacterLength` accepts. */
export const MAX_TOKEN_CHARACTER_LENGTH = 256;
/**
 * No token this package issues is longer than this, whatever the settings were when it was issued,
 * so anything longer is refused before it is hashed or looked up.
 */
export const MAX_TOKEN_LENGTH = MAX_TOKEN_PREFIX_LENGTH + MAX_TOKEN_CHARACTER_LENGTH;
