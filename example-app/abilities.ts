/**
 * What the example app's tokens may be limited to. Its own module so the server (createDurin's
 * `abilities`) and the page (the "API keys" panel's checkboxes) share one list without the page
 * bundling any server code.
 */
export const ABILITIES = ['posts:read', 'posts:write'] as const;

export type Ability = (typeof ABILITIES)[number];
