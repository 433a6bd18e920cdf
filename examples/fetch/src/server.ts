import { createServer, type IncomingMessage } from 'node:http';
import { POST as handler } from './app/api/trpc/[trpc]/route.js';
import { setUp } from './setup.js';

/**
 * What Next.js does around the route handler, in a few lines of node:http so the example runs
 * without Next: each request becomes a fetch `Request` (with the socket's address in x-real-ip,
 * as a platform's proxy sets it) and the handler's `Response` is written back.
 */
async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (typeof value === 'string') headers.set(name, value);
    else if (Array.isArray(value)) for (const item of value) headers.append(name, item);
  }
  headers.set('x-real-ip', req.socket.remoteAddress ?? 'unknown');
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = req.method === 'GET' || req.method === 'HEAD' ? null : Buffer.concat(chunks);
  return new Request(new URL(req.url ?? '/', origin), { method: req.method ?? 'GET', headers, body });
}

await setUp();
const port = Number(process.env.PORT ?? 3000);
const origin = `http://localhost:${port}`;
createServer((req, res) => {
  toRequest(req, origin)
    .then(handler)
    .then(async (response) => {
      res.writeHead(response.status, Object.fromEntries(response.headers));
      res.end(Buffer.from(await response.arrayBuffer()));
    })
    .catch((error: unknown) => {
      console.error(error);
      res.writeHead(500).end();
    });
}).listen(port, () => console.log(`listening on ${origin}/api/trpc`));
