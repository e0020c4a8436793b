import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { build } from './support.ts';

it('dumps', () => {
  const { template } = build();
  writeFileSync('/tmp/bk/template.json', JSON.stringify(template.toJSON(), null, 1));
});
