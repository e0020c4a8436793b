import type { z } from 'zod';
import { BatchkeeperError, ValidationError } from '../../core/errors.ts';
import { parse } from '../../core/validation.ts';
import { RouteNotFoundError } from '../errors.ts';
import type { ConsoleBackend } from './backend.ts';
import type { SnapshotCache } from './snapshot.ts';

/** What a handler is given: the backend, the snapshot cache, the path's parameters, the query and the body. */
export interface ApiCall {
  readonly backend: ConsoleBackend;
  readonly snapshots: SnapshotCache;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
}

export interface Route {
  readonly method: 'GET' | 'POST';
  /** `/api/jobs/:jobId/runs`: each `:name` matches one path segment. */
  readonly path: string;
  handle(call: ApiCall): Promise<unknown>;
}

export interface Matched {
  readonly route: Route;
  readonly params: Record<string, string>;
}

/** The route for a method and path, with the path's parameters decoded. */
export function match(routes: readonly Route[], method: string, path: string): Matched {
  const parts = path.split('/');
  for (const route of routes) {
    if (route.method !== method) continue;
    const want = route.path.split('/');
    if (want.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const ok = want.every((w, i) => {
      const got = parts[i] as string;
      if (!w.startsWith(':')) return w === got;
      params[w.slice(1)] = safeDecode(got);
      return got.length > 0;
    });
    if (ok) return { route, params };
  }
  throw new RouteNotFoundError({ method, path });
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The query string as an object (repeated keys as arrays when `many` names them), parsed by a schema. */
export function queryOf<S extends z.ZodType>(
  schema: S,
  query: URLSearchParams,
  many: readonly string[] = [],
): z.infer<S> {
  const raw: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    if (key === 'token') continue;
    raw[key] = many.includes(key) ? query.getAll(key) : (query.get(key) as string);
  }
  return parse(schema, raw, 'query');
}

/** HTTP status of an error: bad input 400, unknown things 404, busy or conflicting 409, others 500. */
export function statusOf(error: unknown): number {
  if (error instanceof ValidationError) return 400;
  const name = error instanceof Error ? error.name : '';
  if (name === 'ConsoleTokenError') return 401;
  if (name === 'CrossSiteRequestError') return 403;
  if (name.endsWith('NotFoundError')) return 404;
  if (/(Busy|Conflict|Deleting|InUse|Contention)Error$/.test(name)) return 409;
  return 500;
}

/** The JSON body of an error: its name, message and the typed error's fields (context, violations). */
export function errorBody(error: unknown): { error: Record<string, unknown> } {
  const e = error instanceof Error ? error : new Error(String(error));
  const fields = e instanceof BatchkeeperError ? jsonSafe(e.context) : {};
  return { error: { ...fields, name: e.name, message: e.message } };
}

function jsonSafe(value: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v instanceof Error || typeof v === 'function') continue;
    try {
      out[k] = JSON.parse(JSON.stringify(v));
    } catch {
      // A field that is not JSON (a cycle, a BigInt) is left out rather than failing the error itself.
    }
  }
  return out;
}
