/** A few DOM helpers: the app has no framework. */

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, string | number | boolean | undefined | ((e: Event) => void)>;

/** `h('a', { href: '#/' }, 'jobs')`: an element with attributes (on* are listeners) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    // Through the CSSOM: the page's CSP allows no inline style attribute.
    else if (k === 'style') el.style.cssText = String(v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

/** 100000 -> `100,000`. */
export const fmt = (n: number | undefined | null): string =>
  n === undefined || n === null ? '-' : Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(2);

export const ms = (n: number | undefined): string =>
  n === undefined
    ? '-'
    : n < 1000
      ? `${Math.round(n)} ms`
      : n < 60_000
        ? `${(n / 1000).toFixed(1)} s`
        : `${Math.floor(n / 60_000)} min ${String(Math.round((n % 60_000) / 1000)).padStart(2, '0')} s`;

export const usd = (n: number): string => (n < 0.01 ? `$${n.toFixed(6)}` : `$${n.toFixed(4)}`);

/** A table with a header row; each row is a list of cells. */
export function table(
  header: readonly string[],
  rows: readonly Child[][],
  attrs: Attrs = {},
): HTMLTableElement {
  return h(
    'table',
    attrs,
    h('thead', {}, h('tr', {}, ...header.map((x) => h('th', {}, x)))),
    h('tbody', {}, ...rows.map((r) => h('tr', {}, ...r.map((c) => h('td', {}, c))))),
  );
}

/** A figure with its label, as the overview cards show them. */
export const stat = (label: string, value: Child, id?: string) =>
  h(
    'div',
    { class: 'stat' },
    h('div', { class: 'value', 'data-testid': id }, value),
    h('div', { class: 'label' }, label),
  );

export const badge = (text: string) => h('span', { class: `badge b-${text.toLowerCase()}` }, text);

/** Replace the view's content. */
export function mount(root: HTMLElement, ...children: Child[]): void {
  root.replaceChildren(
    ...children
      .filter((c): c is Node | string => c !== null && c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
}

export function errorBox(e: unknown): HTMLElement {
  const err = e as { name?: string; message?: string };
  return h(
    'div',
    { class: 'error', role: 'alert', 'data-testid': 'error' },
    h('strong', {}, err.name ?? 'Error'),
    ': ',
    err.message ?? String(e),
  );
}
