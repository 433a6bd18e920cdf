import { readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';
import { verifyDjangoPassword } from './djangoAuth.js';
import { djangoPassword, pbkdf2Sha256Block } from './djangoDatabase.js';

/**
 * The README's Django password check (djangoAuth.ts, quoted there verbatim) against hashes computed
 * in this test from the documented algorithm: PBKDF2-HMAC-SHA256 (RFC 8018), 32-byte key, the salt
 * as UTF-8 text, encoded `pbkdf2_sha256$<iterations>$<salt>$<base64>`, 260000 iterations in Django 3.2.
 */

describe('Django pbkdf2_sha256 passwords', () => {
  test("the test's own PBKDF2 gives RFC 7914's PBKDF2-HMAC-SHA256 test vectors", () => {
    expect(pbkdf2Sha256Block('passwd', 'salt', 1).toString('hex')).toBe('55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc');
    expect(pbkdf2Sha256Block('Password', 'NaCl', 80000).toString('hex')).toBe(
      '4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56',
    );
  });

  test('verifyDjangoPassword accepts the right password of a Django 3.2 hash and refuses the rest', async () => {
    const encoded = djangoPassword('correct horse', 260000, 'Hq3Vdq0Wn8yB');
    expect(encoded).toMatch(/^pbkdf2_sha256\$260000\$Hq3Vdq0Wn8yB\$[A-Za-z0-9+/]{43}=$/);
    expect(await verifyDjangoPassword('correct horse', encoded)).toBe(true);
    expect(await verifyDjangoPassword('correct horsf', encoded)).toBe(false);
    expect(await verifyDjangoPassword('', encoded)).toBe(false);
    const [, , salt, hash] = encoded.split('$');
    for (const bad of [
      `argon2$260000$${salt}$${hash}`, // another hasher
      `pbkdf2_sha256$260000$${salt}`, // no hash
      `pbkdf2_sha256$260000$${salt}$${hash}$extra`,
      `pbkdf2_sha256$2.5$${salt}$${hash}`,
      `pbkdf2_sha256$0$${salt}$${hash}`, // node's pbkdf2 would throw
      `pbkdf2_sha256$260000$${salt}$${hash!.slice(0, 20)}`, // not 32 bytes
      '!unusable', // Django's set_unusable_password()
    ]) {
      expect(await verifyDjangoPassword('correct horse', bad)).toBe(false);
    }
    expect(await verifyDjangoPassword('x'.repeat(4097), encoded)).toBe(false);
  });

  test('the README quotes djangoAuth.ts verbatim', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    const source = await readFile(new URL('./djangoAuth.ts', import.meta.url), 'utf8');
    expect(readme).toContain(`\`\`\`ts\n${source}\`\`\``);
  });
});
