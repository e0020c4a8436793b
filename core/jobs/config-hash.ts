import { createHash } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { Job } from '../model.ts';
import type { Json } from '../validation.ts';

/** JSON with object keys sorted at every depth: equal data gives equal text, whatever the key order. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The config hash of a job: SHA-256 of the canonical JSON of processor name, processor version and config.
 * @example configHash({ name: 'normalize-address', version: '1' }, { uppercaseCity: true })
 */
export function configHash(
  processor: { name: string; version: string },
  config: Record<string, Json>,
): string {
  const text = canonicalJson({ processor: processor.name, version: processor.version, config });
  return createHash('sha256').update(text).digest('hex');
}

/** The hash a batch completes with now: the job's config under the processor version that is deployed. */
export function effectiveHash(deps: Pick<Deps, 'processors'>, job: Job): string {
  const version = deps.processors.has(job.processor.name)
    ? deps.processors.get(job.processor.name).version
    : job.processor.version;
  return configHash({ name: job.processor.name, version }, job.config as Record<string, Json>);
}
