import { describe, expect, it } from 'vitest';
import { canonicalJson, configHash, effectiveHash } from '../../../core/jobs/config-hash.ts';
import type { Job } from '../../../core/model.ts';
import { defaultRegistry } from '../../../core/processors/builtin.ts';

describe('configHash', () => {
  it('ignores key order at every depth', () => {
    const p = { name: 'p', version: '1' };
    expect(configHash(p, { a: 1, b: { c: [1, { d: 2, e: 3 }] } })).toBe(
      configHash(p, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }),
    );
  });

  it('changes with the processor version, the name and the config', () => {
    const base = configHash({ name: 'p', version: '1' }, { a: 1 });
    expect(configHash({ name: 'p', version: '2' }, { a: 1 })).not.toBe(base);
    expect(configHash({ name: 'q', version: '1' }, { a: 1 })).not.toBe(base);
    expect(configHash({ name: 'p', version: '1' }, { a: 2 })).not.toBe(base);
  });

  it('is SHA-256 of the canonical JSON of processor, version and config', () => {
    expect(canonicalJson({ version: '1', processor: 'p', config: { b: 2, a: 1 } })).toBe(
      '{"config":{"a":1,"b":2},"processor":"p","version":"1"}',
    );
    expect(configHash({ name: 'p', version: '1' }, {})).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('effectiveHash', () => {
  const job = (name: string, version: string) =>
    ({ processor: { name, version }, config: { a: 1 } }) as unknown as Job;
  const deps = { processors: defaultRegistry };

  it('hashes the config under the deployed version of the processor, not the version the job recorded', () => {
    const deployed = defaultRegistry.get('noop').version;
    expect(effectiveHash(deps, job('noop', 'an-old-version'))).toBe(
      configHash({ name: 'noop', version: deployed }, { a: 1 }),
    );
  });

  it("keeps the job's version when the processor is not deployed", () => {
    expect(effectiveHash(deps, job('gone', '7'))).toBe(configHash({ name: 'gone', version: '7' }, { a: 1 }));
  });
});
