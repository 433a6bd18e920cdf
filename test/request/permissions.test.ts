import { beforeAll, describe, expect, test } from 'vitest';
import { DurinConfigError } from '../../src/index.js';
import { useTestServer, waitError } from '../helpers/server.js';
import { unique } from '../helpers/time.js';

/** allowClients / disallowClients: durin's PermissionsTestCase. `onlyWeb` allows "web", `noWeb` refuses it. */
describe('client permissions', () => {
  const env = useTestServer();
  let webToken: string;
  let otherToken: string;

  beforeAll(async () => {
    const user = await env.app.createUser();
    await env.app.durin.clients.create({ name: 'web' });
    const other = await env.app.durin.clients.create({ name: unique('someotherclient') });
    webToken = (await env.app.durin.tokens.issue(user, 'web')).token;
    otherToken = (await env.app.durin.tokens.issue(user, other.name)).token;
  });

  const forbidden = async (call: Promise<unknown>) => {
    const error = await waitError(call);
    expect(error.data?.code).toBe('FORBIDDEN');
    expect(error.data?.httpStatus).toBe(403);
    expect(error.message).toBe('You do not have permission to perform this action.');
    expect(error.data?.durinCode).toBe('CLIENT_FORBIDDEN');
  };
  const unauthorized = async (call: Promise<unknown>) => {
    const error = await waitError(call);
    expect(error.data?.httpStatus).toBe(401);
    expect(error.message).toBe('Authentication credentials were not provided.');
  };

  test('onlyWeb lets the web token through', async () => {
    expect(await env.server.client(webToken).onlyWeb.query()).toBe('only web');
  });
  test('onlyWeb refuses another client: 403', () => forbidden(env.server.client(otherToken).onlyWeb.query()));
  test('noWeb refuses the web token: 403', () => forbidden(env.server.client(webToken).noWeb.query()));
  test('noWeb lets another client through', async () => {
    expect(await env.server.client(otherToken).noWeb.query()).toBe('no web');
  });
  test('onlyWeb without a token: 401', () => unauthorized(env.server.client().onlyWeb.query()));
  test('noWeb without a token: 401', () => unauthorized(env.server.client().noWeb.query()));
  test('a bad token is reported as such, not as forbidden', async () => {
    const error = await waitError(env.server.client('x'.repeat(64)).onlyWeb.query());
    expect(error.message).toBe('Invalid token.');
  });

  test('names of clients that do not exist yet are allowed; an empty list fails at start-up', () => {
    expect(() => env.app.durin.allowClients('not-created-yet')).not.toThrow();
    expect(() => env.app.durin.allowClients()).toThrow(new DurinConfigError('trpc-durin: allowClients() needs at least one client name'));
    expect(() => env.app.durin.disallowClients()).toThrow(
      new DurinConfigError('trpc-durin: disallowClients() needs at least one client name'),
    );
    expect(() => env.app.durin.allowClients('')).toThrow(DurinConfigError);
  });
});
