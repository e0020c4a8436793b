import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleApp } from '../../../console/assets.ts';
import { type ConsoleEnv, consoleEnv } from './console-env.ts';

/** A raw request, so that the Host header can be anything. */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString('utf8');
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the console server', () => {
  let env: ConsoleEnv;
  beforeAll(async () => {
    env = await consoleEnv();
  });
  afterAll(async () => {
    await env?.stop();
  });

  it('listens on the loopback address and prints a URL with a random token', () => {
    expect(env.server.url).toBe(`http://127.0.0.1:${env.server.port}/?token=${env.server.token}`);
    expect(env.server.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses an API call without the token, or with another one', async () => {
    const none = await env.api('/api/jobs', { token: null });
    const wrong = await env.api('/api/jobs', { token: 'x'.repeat(43) });

    for (const r of [none, wrong]) {
      expect(r.status).toBe(401);
      expect(r.doc.error).toMatchObject({ name: 'ConsoleTokenError' });
    }
  });

  it('refuses a state-changing call that is not JSON, or comes from another site', async () => {
    const body = { ids: ['1'], note: 'n' };
    const path = '/api/jobs/j/exceptions/resolve';
    const text = await env.api(path, { body, headers: { 'content-type': 'text/plain' } });
    const origin = await env.api(path, { body, headers: { origin: 'https://evil.example' } });
    const site = await env.api(path, { body, headers: { 'sec-fetch-site': 'cross-site' } });

    for (const r of [text, origin, site]) {
      expect(r.status).toBe(403);
      expect(r.doc.error).toMatchObject({ name: 'CrossSiteRequestError' });
    }
    expect(await env.deps.exceptions.counts('j')).toMatchObject({ OPEN: 30, RESOLVED: 0 });
  });

  it('accepts the same call from its own page', async () => {
    const r = await env.api('/api/jobs/j/exceptions/resolve', {
      body: { ids: ['1'], note: 'n' },
      headers: { origin: `http://127.0.0.1:${env.server.port}`, 'sec-fetch-site': 'same-origin' },
    });

    expect(r.status).toBe(200);
    expect(r.doc).toMatchObject({ reviewed: 1 });
  });

  it('answers no other host name (a rebinding page)', async () => {
    const r = await rawGet(env.server.port, '/api/jobs', {
      host: `evil.example:${env.server.port}`,
      'x-batchkeeper-token': env.server.token,
    });

    expect(r.status).toBe(403);
    expect(JSON.parse(r.body).error.name).toBe('CrossSiteRequestError');
  });

  it('serves the page with a policy that allows nothing from elsewhere', async () => {
    const res = await fetch(`http://127.0.0.1:${env.server.port}/`);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  });
});

describe('the console app', () => {
  it('bundles from its TypeScript sources with nothing fetched from elsewhere', async () => {
    const js = await bundleApp();

    expect(js).toContain('/api/jobs');
    // The SVG namespace is a name (createElementNS), not an address: the only URL the page may hold.
    expect(
      js.replaceAll("'http://www.w3.org/2000/svg'", '').replaceAll('"http://www.w3.org/2000/svg"', ''),
    ).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
  });
});
