import { z } from 'zod';
import { defineProcessor } from '../define-processor.ts';
import { formatAddress, type NormalizedAddress, toNormalized } from './format-address.ts';
import { parseAddress } from './parse-address.ts';
import { rejectAddress } from './rejections.ts';

/** How the normaliser writes its output. Changing it changes outputs, which the inventory reports as drift. */
export const AddressConfig = z.strictObject({
  /** `utca` or `u.`, `körút` or `krt.`. @default 'full' */
  streetTypeStyle: z
    .enum(['full', 'abbreviated'], { error: "must be 'full' or 'abbreviated'" })
    .default('full'),
  /** @default false */
  uppercaseCity: z.boolean({ error: 'must be a boolean' }).default(false),
  /** Set aside addresses without a house number. @default true */
  requireHouseNumber: z.boolean({ error: 'must be a boolean' }).default(true),
});
export type AddressConfig = z.output<typeof AddressConfig>;

/** One record of the Hungarian company registry (cégjegyzék). Other fields a source carries are dropped. */
export const CompanyRecord = z.object({
  registryNumber: z.string({ error: 'must be a string' }).regex(/^\d{2}-\d{2}-\d{6}$/, {
    error: 'must look like 01-09-123456',
  }),
  name: z.string({ error: 'must be a string' }).trim().min(1, { error: 'must not be empty' }),
  // Any string: an address that cannot be read is an exception for review, not an invalid item.
  address: z.string({ error: 'must be a string' }),
  founded: z.iso.date({ error: 'must be a date YYYY-MM-DD' }).optional(),
});
export type CompanyRecord = z.output<typeof CompanyRecord>;

/** The normaliser's output for one record. */
export interface NormalizedCompany {
  readonly registryNumber: string;
  readonly name: string;
  readonly founded?: string;
  readonly address: NormalizedAddress;
  /** The address on one line in the post office's order, in the configured style. */
  readonly formatted: string;
}

/**
 * Normalises one postal address under a config. Throws ItemRejectedError (kind and `{ reason, address }`)
 * when it cannot.
 * @example normalizeAddress('6720 Szeged, Kárász u. 10/B. fszt. 2.', AddressConfig.parse({})).floor === '0'
 */
export function normalizeAddress(address: string, config: AddressConfig): NormalizedAddress {
  const parsed = parseAddress(address);
  if (config.requireHouseNumber && parsed.houseNumber === undefined) {
    throw rejectAddress('missing-house-number', 'no house number after the street', address);
  }
  return toNormalized(parsed, config);
}

/** The example processor: company-registry records in, normalised postal addresses out. */
export const addressNormalizer = defineProcessor({
  name: 'normalize-address',
  version: '1',
  configSchema: AddressConfig,
  itemSchema: CompanyRecord,
  processItem(record, { ctx }): NormalizedCompany {
    const address = normalizeAddress(record.address, ctx.config);
    return {
      registryNumber: record.registryNumber,
      name: record.name,
      ...(record.founded !== undefined ? { founded: record.founded } : {}),
      address,
      formatted: formatAddress(address),
    };
  },
});
