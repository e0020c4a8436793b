import type { Page, PageRequest } from '../../core/ports/index.ts';
import { resolveTarget, type Target } from '../target.ts';
import type { CommandContext, TargetFlags } from './args.ts';

/**
 * Every page of a listing, up to `max` items: listings are short (jobs, runs, data sets) or capped by the
 * caller (exceptions), so holding them is fine.
 */
export async function collect<T>(
  fetch: (page: PageRequest) => Promise<Page<T>>,
  max = Number.POSITIVE_INFINITY,
): Promise<T[]> {
  const out: T[] = [];
  let next: string | undefined;
  do {
    const page = await fetch({ limit: 100, next });
    out.push(...page.items.slice(0, max - out.length));
    next = page.next;
  } while (next && out.length < max);
  return out;
}

/** The target named by the parsed flags, resolved once per call. */
export function targetOnce(flags: TargetFlags): () => Promise<Target> {
  let pending: Promise<Target> | undefined;
  return () => {
    pending ??= resolveTarget({
      local: flags.local,
      dataDir: flags['data-dir'],
      region: flags.region,
      stack: flags.stack,
    });
    return pending;
  };
}

/** A context whose target is given (the demo and tests hold one already). */
export const contextFor = (target: Target, io: CommandContext['io'], json = false): CommandContext => ({
  io,
  json,
  target: async () => target,
});

/** `abcdef0123456789…` -> `abcdef012345`: hashes in tables are compared by eye. */
export const shortHash = (hash: string | undefined): string | undefined =>
  hash?.replace(/^sha256:/, '').slice(0, 12);
