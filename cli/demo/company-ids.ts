import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CompanyRecord } from '../../core/processors/address/normalize-address.ts';
import { generateRecords, mulberry32 } from './generate-records.ts';

/** How a record's identifiers were spoiled, for the kinds the company-records command sets aside. */
export const PLANTED_KINDS = [
  'unknown-court',
  'malformed-registry-number',
  'form-mismatch',
  'name-without-form',
  'missing-name',
] as const;
export type PlantedKind = (typeof PLANTED_KINDS)[number];

export interface CompanyIdChunks {
  readonly dir: string;
  readonly records: number;
  /** Records written with identifiers a registry clerk would still accept, spaced or spelled otherwise. */
  readonly messy: number;
  /** Records whose identifiers cannot be made canonical, by the kind the command should set them aside as. */
  readonly bad: Readonly<Record<PlantedKind, number>>;
}

/**
 * Company-registry records (cli/demo/generate-records.ts) as they come from scanned forms: about a third with
 * their registry number or name written otherwise (spaced, dotted, run together; the form in lower case or
 * spelled out), about 4% with identifiers no clerk could fix. Deterministic in (seed, id).
 * @example await writeCompanyIdChunks('/tmp/demo/ids', { seed: 7, count: 20_000, perFile: 10_000 });
 */
export async function writeCompanyIdChunks(
  dir: string,
  o: { seed: number; count: number; perFile: number },
): Promise<CompanyIdChunks> {
  await mkdir(dir, { recursive: true });
  const bad = Object.fromEntries(PLANTED_KINDS.map((k) => [k, 0])) as Record<PlantedKind, number>;
  let messy = 0;
  for (let first = 1; first <= o.count; first += o.perFile) {
    const count = Math.min(o.perFile, o.count - first + 1);
    let text = '';
    for (const { id, record } of generateRecords({ seed: o.seed, start: first, count, badRate: 0 })) {
      const spoiled = spoil(record, mulberry32((o.seed * 7919 + id) >>> 0));
      if (spoiled.kind === 'messy') messy++;
      else if (spoiled.kind !== 'clean') bad[spoiled.kind]++;
      text += `${JSON.stringify(spoiled.record)}\n`;
    }
    await writeFile(join(dir, `company-ids-${String(first).padStart(9, '0')}.jsonl`), text);
  }
  return { dir, records: o.count, messy, bad };
}

type Spoiled = { record: CompanyRecord; kind: 'clean' | 'messy' | PlantedKind };

function spoil(record: CompanyRecord, rng: () => number): Spoiled {
  const roll = rng();
  const [court = '', form = '', serial = ''] = record.registryNumber.split('-');
  const named = (name: string) => ({ ...record, name });
  const numbered = (registryNumber: string) => ({ ...record, registryNumber });
  if (roll < 0.01)
    return { record: numbered(`2${1 + Math.floor(rng() * 9)}-${form}-${serial}`), kind: 'unknown-court' };
  if (roll < 0.02)
    return { record: numbered(`${court}-${form}-${serial.slice(1)}`), kind: 'malformed-registry-number' };
  if (roll < 0.03) return { record: named(swapForm(record.name)), kind: 'form-mismatch' };
  if (roll < 0.035) return { record: named(withoutForm(record.name)), kind: 'name-without-form' };
  if (roll < 0.04) return { record: named('  '), kind: 'missing-name' };
  if (roll < 0.2) {
    const spellings = [
      `${court} ${form} ${serial}`,
      `${court}${form}${serial}`,
      `${court}.${form}.${serial}`,
    ];
    return { record: numbered(spellings[Math.floor(rng() * spellings.length)] as string), kind: 'messy' };
  }
  if (roll < 0.35) return { record: named(messyName(record.name, rng)), kind: 'messy' };
  return { record, kind: 'clean' };
}

const FORM_AT_END = /\s(Kft\.|Bt\.|Zrt\.|Nyrt\.)$/;

function swapForm(name: string): string {
  return name.replace(FORM_AT_END, (_, f: string) => (f === 'Bt.' ? ' Kft.' : ' Bt.'));
}

function withoutForm(name: string): string {
  return name.replace(FORM_AT_END, '');
}

function messyName(name: string, rng: () => number): string {
  const spelled: Record<string, string> = {
    'Kft.': 'korlátolt felelősségű társaság',
    'Bt.': 'Betéti Társaság',
    'Zrt.': 'ZRT',
  };
  const roll = rng();
  if (roll < 0.4) return `  ${name.replace(/ /g, '  ')} `;
  if (roll < 0.7) return name.replace(FORM_AT_END, (_, f: string) => ` ${f.toLowerCase().replace('.', '')}`);
  return name.replace(FORM_AT_END, (_, f: string) => ` ${spelled[f] ?? f}`);
}
