import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ValidationError } from '../core/errors.ts';
import type { ConsoleBackend } from './api/backend.ts';
import { EXCEPTION_ROUTES } from './api/exceptions-api.ts';
import { GRAPH_ROUTES } from './api/graph-api.ts';
import { JOB_ROUTES } from './api/jobs-api.ts';
import { errorBody, match, type Route, statusOf } from './api/router.ts';
import { RUN_ROUTES } from './api/runs-api.ts';
import { SnapshotCache } from './api/snapshot.ts';
import { type Assets, loadAssets } from './assets.ts';
import { checkHost, checkSameOrigin, checkToken, newToken } from './security.ts';

/** Every route of the JSON API. */
export const ROUTES: readonly Route[] = [...JOB_ROUTES, ...RUN_ROUTES, ...EXCEPTION_ROUTES, ...GRAPH_ROUTES];

export interface ConsoleOptions {
  readonly backend: ConsoleBackend;
  /** @default 0: a free port */
  readonly port?: number;
  /** @default a new random token */
  readonly token?: string;
  /** @default loadAssets() */
  readonly assets?: Assets;
}

export interface ConsoleServer {
  readonly port: number;
  readonly token: string;
  /** `http://127.0.0.1:PORT/?token=...`: what the console prints. */
  readonly url: string;
  close(): Promise<void>;
}

/** A request body over this size is refused: reviews and run inputs are small. */
const MAX_BODY = 1 << 20;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/**
 * Serve the console on 127.0.0.1 only: the page's three files, and the JSON API under /api, where every call
 * needs the token and every POST must come from the page itself.
 * @example const c = await startConsole({ backend: backendOf(target) }); console.log(c.url);
 */
export async function startConsole(o: ConsoleOptions): Promise<ConsoleServer> {
  const token = o.token ?? newToken();
  const assets = o.assets ?? (await loadAssets());
  const snapshots = new SnapshotCache(o.backend.deps);
  let port = 0;
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error) => send(res, statusOf(error), errorBody(error)));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkHost(req, port);
    const url = new URL(req.url ?? '/', `http://127.0.0.1:${port}`);
    if (!url.pathname.startsWith('/api/')) return serveAsset(req, res, url.pathname, assets);
    checkToken(req, token);
    const method = req.method ?? 'GET';
    const { route, params } = match(ROUTES, method, url.pathname);
    if (method === 'POST') checkSameOrigin(req, port);
    const body = method === 'POST' ? await readJson(req) : undefined;
    const out = await route.handle({ backend: o.backend, snapshots, params, query: url.searchParams, body });
    send(res, 200, out);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  return {
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function serveAsset(req: IncomingMessage, res: ServerResponse, path: string, assets: Assets): void {
  const files: Record<string, [string, string]> = {
    '/': [assets.html, 'text/html; charset=utf-8'],
    '/app.js': [assets.js, 'text/javascript; charset=utf-8'],
    '/app.css': [assets.css, 'text/css; charset=utf-8'],
  };
  const file = files[path];
  if (!file || (req.method !== 'GET' && req.method !== 'HEAD')) {
    res.writeHead(404, { ...SECURITY_HEADERS, 'content-type': 'text/plain' }).end('not found\n');
    return;
  }
  res
    .writeHead(200, { ...SECURITY_HEADERS, 'content-type': file[1] })
    .end(req.method === 'HEAD' ? '' : file[0]);
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY)
      throw new ValidationError([{ field: 'body', rule: `must be at most ${MAX_BODY} bytes` }]);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return text.length === 0 ? {} : JSON.parse(text);
  } catch {
    throw new ValidationError([{ field: 'body', rule: 'must be JSON' }]);
  }
}
