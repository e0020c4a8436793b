import { z } from 'zod';
import type { CompanyRecord } from '../../core/processors/address/normalize-address.ts';
import {
  ADDRESS_REJECTION_KINDS,
  type AddressRejectionKind,
} from '../../core/processors/address/rejections.ts';
import { toRoman } from '../../core/processors/address/roman.ts';
import { lookupStreetType } from '../../core/processors/address/street-types.ts';
import { Id, parse } from '../../core/validation.ts';

interface Generated {
  readonly id: number;
  readonly record: CompanyRecord;
}

/** One generated record, and whether the generator meant its address to be rejected (and how). */
export type GeneratedRecord =
  | (Generated & { readonly bad: false })
  | (Generated & { readonly bad: true; readonly kind: AddressRejectionKind });

const Num = z.number({ error: 'must be a number' });
const GenerateOptions = z.strictObject({
  seed: Num.int({ error: 'must be an integer' })
    .min(0, { error: 'must be >= 0' })
    .max(0xffff_ffff, { error: 'must fit in 32 bits' }),
  start: Id,
  count: Num.int({ error: 'must be an integer' }).min(0, { error: 'must be >= 0' }),
  badRate: Num.min(0, { error: 'must be >= 0' }).max(1, { error: 'must be <= 1' }).default(0.02),
});
export type GenerateOptions = z.input<typeof GenerateOptions>;

/**
 * Realistic Hungarian company-registry records for the demo and the benchmarks, ids `start..start+count-1`.
 * Each record depends only on `(seed, id)`, so any window of ids is the same whatever window it is cut from,
 * and the same seed always gives byte-identical output. About `badRate` of them carry an address that the
 * `normalize-address` processor (default config) rejects; `kind` says which rejection it was made for.
 * @example for (const { record } of generateRecords({ seed: 7, start: 1, count: 1000 })) write(record);
 */
export function* generateRecords(options: GenerateOptions): Generator<GeneratedRecord> {
  const { seed, start, count, badRate } = parse(GenerateOptions, options, 'generator options');
  for (let id = start; id < start + count; id++) {
    const rng = mulberry32(mix(seed, id));
    const bad = rng() < badRate;
    const parts = addressPartsOf(rng);
    if (!bad) {
      yield { id, record: recordOf(rng, renderGood(rng, parts), parts.court), bad };
      continue;
    }
    const kind = pick(rng, ADDRESS_REJECTION_KINDS);
    yield { id, record: recordOf(rng, renderBad(rng, parts, kind), parts.court), bad, kind };
  }
}

/** One JSON object per line, each line ending in a newline: the format of the demo's S3 chunks. */
export function toJsonLines(records: Iterable<CompanyRecord | GeneratedRecord>): string {
  let text = '';
  for (const r of records) text += `${JSON.stringify('bad' in r ? r.record : r)}\n`;
  return text;
}

/** A small, fast, seedable PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A per-record seed from the run's seed and the id (both halves of it), well mixed (murmur3's finaliser). */
function mix(seed: number, id: number): number {
  let h = (seed ^ Math.imul(id >>> 0, 0x9e3779b1) ^ Math.imul(Math.floor(id / 2 ** 32), 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

type Rng = () => number;
const int = (rng: Rng, lo: number, hi: number): number => lo + Math.floor(rng() * (hi - lo + 1));
const chance = (rng: Rng, p: number): boolean => rng() < p;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** A comma-separated list written as text, so that the formatter keeps the data compact. */
const list = (text: string): readonly string[] => text.split(/\s*[,\n]\s*/).filter((w) => w !== '');

// city court-code first-postal-code how-many-codes. The court (cégbíróság) is the county's; Budapest aside.
const CITIES = list(`
  Debrecen 09 4024 9, Szeged 06 6720 9, Miskolc 05 3525 10, Pécs 02 7621 12, Győr 08 9021 9, Nyíregyháza 15 4400 6,
  Kecskemét 03 6000 9, Székesfehérvár 07 8000 20, Szombathely 18 9700 1, Szolnok 16 5000 9, Tatabánya 11 2800 4,
  Kaposvár 14 7400 1, Érd 13 2030 1, Veszprém 19 8200 1, Békéscsaba 04 5600 1, Zalaegerszeg 20 8900 1, Sopron 08 9400 1,
  Eger 10 3300 1, Nagykanizsa 20 8800 1, Dunaújváros 07 2400 1, Hódmezővásárhely 06 6800 1, Szekszárd 17 7100 1,
  Salgótarján 12 3100 1, Gödöllő 13 2100 1, Vác 13 2600 1, Szentendre 13 2000 1, Siófok 14 8600 1, Esztergom 11 2500 1,
  Keszthely 20 8360 1, Cegléd 13 2700 1, Baja 03 6500 1, Jászberény 16 5100 1`).map((line) => {
  const [city = '', court = '', first = '', n = ''] = line.split(' ');
  return { city, court, first: Number(first), n: Number(n) };
});

// No word here is itself a street type, so dropping the type really leaves an address without one.
const STREETS = list(`
  Kossuth Lajos, Petőfi Sándor, Rákóczi Ferenc, Arany János, Ady Endre, Dózsa György, Széchenyi István, Jókai Mór,
  Bajcsy-Zsilinszky, Táncsics Mihály, Deák Ferenc, Vörösmarty Mihály, Bem József, Hunyadi János, Kölcsey Ferenc,
  Szabadság, Béke, Fő, Rózsa, Nádor, Piac, Baross Gábor, Király, Váci, Andrássy, Bartók Béla, Határ, Hősök,
  Október huszonharmadika, Damjanich, Jászai Mari, Madách Imre, Wesselényi, Thököly, Mátyás király, Vasút, Iskola,
  Templom, Bocskai, Árpád, Honvéd, Munkácsy Mihály, Liszt Ferenc, Zrínyi Miklós, Kinizsi Pál, Kárász, Palotai, Alkotmány,
  Március 15., Október 6., Szent István, Erkel Ferenc, Semmelweis, Gárdonyi Géza, Mikszáth Kálmán, Klapka,
  Wekerle Sándor, Hajnal, Virág, Tavasz, Malom, Ipar`);
// utca and út are most streets; the rest for variety.
const STREET_TYPES = list(`
  utca, utca, utca, utca, utca, utca, utca, utca, utca, utca, utca, utca, út, út, út, út, tér, tér, köz, sor, körút,
  fasor, sétány, lakótelep, park, dűlő, rakpart, sugárút, liget, határsor`);
const BRANDS = list(`
  Duna, Tisza, Pannon, Mátra, Bakony, Alföld, Balaton, Hungaro, Magyar, Euro, Novo, Kelet, Nyugat, Bükk, Zemplén, Rába,
  Dráva, Maros, Körös, Kárpát, Napfény, Zöldmező, Aranykalász, Délibáb, Mecsek`);
const BRAND_ENDINGS = ['', '', '', ...list('-Trans, -Invest, Tech, -Agro, Soft, -Med, Log, -Bau')];
const ACTIVITIES = list(`
  Építőipari, Kereskedelmi, Szolgáltató, Informatikai, Vendéglátó, Szállítmányozási, Agrár, Gépipari,
  Ingatlanforgalmazó, Logisztikai, Pékáru, Tanácsadó, Fuvarozó, Biztonságtechnikai, Nyomdaipari, Könyvelő`);
const SURNAMES = list(`
  Kovács, Nagy, Tóth, Szabó, Horváth, Varga, Kiss, Molnár, Németh, Farkas, Balogh, Papp, Takács, Juhász, Mészáros,
  Simon, Rácz, Fekete`);
// Company form, its code in the registry number (cégforma: Kft. 09, Bt. 06, Zrt. and Nyrt. 10), cumulative share.
const FORMS = [
  { form: 'Kft.', code: '09', upTo: 0.7 },
  { form: 'Bt.', code: '06', upTo: 0.87 },
  { form: 'Zrt.', code: '10', upTo: 0.98 },
  { form: 'Nyrt.', code: '10', upTo: 1 },
] as const;

/** The parts of an address before it is written out, in the generator's own words. */
interface AddressParts {
  readonly postalCode: string;
  readonly city: string;
  readonly district?: number;
  readonly street: string;
  readonly type: string;
  readonly house: string;
  readonly unit: string;
  /** The registry court of the company's seat. */
  readonly court: string;
}

function companyNameOf(rng: Rng): { name: string; formCode: string } {
  const roll = rng();
  const { form, code } = FORMS.find((f) => roll < f.upTo) ?? FORMS[0];
  const style = rng();
  if (style < 0.2) return { name: `${pick(rng, SURNAMES)} és Társa ${form}`, formCode: code };
  if (style < 0.3) {
    const ending = pick(rng, ['Consulting', 'Trade', 'Service', 'és Fia']);
    return { name: `${pick(rng, SURNAMES)} ${ending} ${form}`, formCode: code };
  }
  const first = pick(rng, ACTIVITIES);
  const second = pick(rng, ACTIVITIES);
  const activities = chance(rng, 0.3) && second !== first ? `${first} és ${second}` : first;
  return { name: `${pick(rng, BRANDS)}${pick(rng, BRAND_ENDINGS)} ${activities} ${form}`, formCode: code };
}

function addressPartsOf(rng: Rng): AddressParts {
  const street = pick(rng, STREETS);
  const type = spellType(rng, pick(rng, STREET_TYPES));
  const house = houseOf(rng);
  const unit = chance(rng, 0.35) ? unitOf(rng) : '';
  // About two in five Hungarian companies have their seat in Budapest.
  if (chance(rng, 0.4)) {
    const district = int(rng, 1, 23);
    const postalCode = `1${pad(district, 2)}${int(rng, 1, 9)}`;
    return { postalCode, city: 'Budapest', district, street, type, house, unit, court: '01' };
  }
  const { city, court, first, n } = pick(rng, CITIES);
  return { postalCode: String(first + int(rng, 0, n - 1)), city, street, type, house, unit, court };
}

function spellType(rng: Rng, full: string): string {
  const abbreviated = lookupStreetType(full)?.abbreviated ?? full;
  if (abbreviated === full || chance(rng, 0.6)) return full;
  return chance(rng, 0.1) ? abbreviated.replace('.', '') : abbreviated;
}

function houseOf(rng: Rng): string {
  const n = chance(rng, 0.7) ? int(rng, 1, 40) : int(rng, 1, 199);
  const roll = rng();
  let house = String(n);
  if (roll < 0.08) house = `${n}/${pick(rng, ['A', 'B', 'C', 'D'])}`;
  else if (roll < 0.12) house = `${n}${pick(rng, ['a', 'b', 'A'])}`;
  else if (roll < 0.18) house = `${n}-${n + 2}`;
  return chance(rng, 0.85) ? `${house}.` : house;
}

/** Building, staircase, floor and door, in the spellings registries use: `II. em. 4.`, `III/8.`, `fszt. 2.`. */
function unitOf(rng: Rng): string {
  const words: string[] = [];
  if (chance(rng, 0.05)) words.push(`${pick(rng, ['A', 'B', 'C'])}. ép.`);
  if (chance(rng, 0.08))
    words.push(`${pick(rng, ['1', '2', '3', 'A', 'B'])}. ${pick(rng, ['lph.', 'lépcsőház'])}`);
  const floor = chance(rng, 0.15) ? 0 : int(rng, 1, 10);
  const door = int(rng, 1, 24);
  const roll = rng();
  if (floor === 0) words.push(pick(rng, ['fszt.', 'fsz.', 'földszint']));
  else if (roll < 0.2) return [...words, `${toRoman(floor)}/${door}.`].join(' ');
  else words.push(`${roll < 0.4 ? toRoman(floor) : floor}. ${pick(rng, ['em.', 'em.', 'emelet'])}`);
  if (chance(rng, 0.85)) words.push(chance(rng, 0.2) ? `${door}. ajtó` : `${door}.`);
  return words.join(' ');
}

function cityOf(rng: Rng, parts: AddressParts): string {
  if (parts.district === undefined || chance(rng, 0.3)) return parts.city;
  const district = toRoman(parts.district);
  return chance(rng, 0.7) ? `${parts.city} ${district}. kerület` : `${parts.city} ${district}.`;
}

function renderGood(rng: Rng, parts: AddressParts): string {
  const prefix = chance(rng, 0.03) ? 'H-' : '';
  const street = [parts.street, parts.type, parts.house, parts.unit].filter((w) => w !== '').join(' ');
  const text = `${prefix}${parts.postalCode} ${cityOf(rng, parts)}, ${street}`;
  // Registries are typed by hand: some records come in one case, some with stray spaces.
  const roll = rng();
  if (roll < 0.03) return text.toLocaleLowerCase('hu');
  if (roll < 0.04) return text.toLocaleUpperCase('hu');
  return roll < 0.06 ? `  ${text.replace(/ /g, '  ').replace(', ', ' ,')} ` : text;
}

/** An address made to be rejected for one reason, from otherwise plausible parts. */
function renderBad(rng: Rng, parts: AddressParts, kind: AddressRejectionKind): string {
  const { postalCode, city } = parts;
  const street = `${parts.street} ${parts.type} ${parts.house}`;
  switch (kind) {
    case 'empty-address':
      return pick(rng, ['', '   ', ' , ', '-']);
    case 'missing-postal-code':
      return `${city}, ${street}`;
    case 'invalid-postal-code': {
      const code = pick(rng, [
        String(int(rng, 100, 999)),
        String(int(rng, 10000, 99999)),
        `0${int(rng, 100, 999)}`,
      ]);
      return `${code} ${city}, ${street}`;
    }
    case 'missing-city':
      return `${postalCode}, ${street}`;
    case 'missing-street-type':
      return `${postalCode} ${city}, ${parts.street} ${parts.house}`;
    case 'missing-house-number':
      return `${postalCode} ${city}, ${parts.street} ${parts.type}`;
    case 'unparseable': {
      const noise = pick(rng, [
        `${street} #${int(rng, 1, 99)}`,
        `${street} (hátsó bejárat)`,
        `${parts.street} ${parts.type} sz/n`,
      ]);
      return `${postalCode} ${city}, ${noise}`;
    }
  }
}

function recordOf(rng: Rng, address: string, court: string): CompanyRecord {
  const { name, formCode } = companyNameOf(rng);
  const record: CompanyRecord = {
    registryNumber: `${court}-${formCode}-${pad(int(rng, 1, 999_999), 6)}`,
    name,
    address,
  };
  if (!chance(rng, 0.85)) return record;
  const day = int(rng, 0, 36 * 365);
  return { ...record, founded: new Date(Date.UTC(1989, 0, 1) + day * 86_400_000).toISOString().slice(0, 10) };
}
