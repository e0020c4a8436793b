/** The console's JSON API, called with the token the page was opened with. */

const TOKEN_KEY = 'batchkeeper.token';

/** Read the token from the URL once, keep it for the tab, and take it out of the address bar and history. */
export function takeToken(): string {
  const url = new URL(location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

/** An error the API answered with: the typed error's name, message and fields. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: { name: string; message: string; [k: string]: unknown },
  ) {
    super(body.message);
    this.name = body.name;
  }
}

let token = '';
export const setToken = (t: string) => {
  token = t;
};

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { 'x-batchkeeper-token': token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const doc = (await res.json()) as { error?: ApiError['body'] } & T;
  if (!res.ok) throw new ApiError(res.status, doc.error ?? { name: 'Error', message: res.statusText });
  return doc;
}

export const get = <T>(path: string, query: Record<string, string | number | string[] | undefined> = {}) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === '') continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, String(x));
  }
  const s = q.toString();
  return call<T>('GET', s ? `${path}?${s}` : path);
};

export const post = <T>(path: string, body: unknown) => call<T>('POST', path, body);

export const jobPath = (jobId: string, rest = '') => `/api/jobs/${encodeURIComponent(jobId)}${rest}`;
