import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ConsoleTokenError, CrossSiteRequestError } from './errors.ts';

/** The header every API call carries the token in (the page reads it from its URL once). */
export const TOKEN_HEADER = 'x-batchkeeper-token';

/** 32 random bytes, URL-safe: what the console prints in its URL. */
export const newToken = (): string => randomBytes(32).toString('base64url');

/** The token of a call must equal the console's; compared in constant time. */
export function checkToken(req: IncomingMessage, token: string): void {
  const given = req.headers[TOKEN_HEADER];
  const a = Buffer.from(typeof given === 'string' ? given : '');
  const b = Buffer.from(token);
  if (a.length !== b.length || !timingSafeEqual(a, b)) throw new ConsoleTokenError();
}

/** The hosts the console answers to: its loopback address and `localhost`, on its port (no DNS rebinding). */
export const allowedHosts = (port: number): readonly string[] => [`127.0.0.1:${port}`, `localhost:${port}`];

/** A request whose Host is not the console's own is refused before anything else (a rebinding page's). */
export function checkHost(req: IncomingMessage, port: number): void {
  if (!allowedHosts(port).includes(req.headers.host ?? ''))
    throw new CrossSiteRequestError({ reason: `host ${req.headers.host ?? '(none)'} is not the console's` });
}

/**
 * A state-changing call must come from the console's own page: JSON only (a form of another site cannot send
 * it without a preflight), no foreign Origin, and no `Sec-Fetch-Site` other than same-origin.
 */
export function checkSameOrigin(req: IncomingMessage, port: number): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json')
    throw new CrossSiteRequestError({ reason: 'the content type must be application/json' });
  const origin = req.headers.origin;
  if (origin !== undefined && !allowedHosts(port).some((h) => origin === `http://${h}`))
    throw new CrossSiteRequestError({ reason: `origin ${origin} is not the console's` });
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin')
    throw new CrossSiteRequestError({ reason: `Sec-Fetch-Site is ${site}` });
}
