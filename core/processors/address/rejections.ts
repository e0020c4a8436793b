import { ItemRejectedError } from '../../errors.ts';

/** Why the address normaliser sets a record aside: the `kind` of its exceptions. */
export const ADDRESS_REJECTION_KINDS = [
  'empty-address',
  'missing-postal-code',
  'invalid-postal-code',
  'missing-city',
  'missing-street-type',
  'missing-house-number',
  'unparseable',
] as const;

export type AddressRejectionKind = (typeof ADDRESS_REJECTION_KINDS)[number];

/** The exception a reviewer sees: the kind, a sentence, and the address as it was written. */
export function rejectAddress(
  kind: AddressRejectionKind,
  reason: string,
  address: string,
): ItemRejectedError {
  return new ItemRejectedError(kind, { reason, address });
}
