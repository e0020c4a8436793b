import { createConnection, createServer } from 'node:net';
import { LocalServiceError } from './errors.ts';
import { sleep } from './timing.ts';

/** Ports on 127.0.0.1 for the engines, and whether something answers on one. */

/** A port that was free a moment ago on 127.0.0.1 (another process may still take it before you bind). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

/** Resolves once a TCP connection to host:port succeeds; rejects with LocalServiceError after `timeoutMs`. */
export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      await connectOnce(host, port, Math.max(50, Math.min(1_000, deadline - Date.now())));
      return;
    } catch (error) {
      last = error;
      await sleep(50);
    }
  }
  throw new LocalServiceError(
    `nothing answered on ${host}:${port} within ${timeoutMs} ms`,
    { service: `${host}:${port}`, timeoutMs },
    { cause: last },
  );
}

/** One TCP connection attempt: resolves when connected, rejects on refusal or after `timeoutMs`. */
export function connectOnce(host: string, port: number, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host, port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`connect to ${host}:${port} timed out`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}
