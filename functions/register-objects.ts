import { z } from 'zod';
import { type LandedObject, registerObjects } from '../core/catalog/register-objects.ts';
import { parse } from '../core/validation.ts';
import { deps, handle } from './support/runtime.ts';

/** S3 "Object Created" through EventBridge, or an S3 notification with Records. */
const ObjectCreated = z.union([
  z.object({
    detail: z.object({
      bucket: z.object({ name: z.string() }),
      object: z.object({ key: z.string(), size: z.number().optional() }),
    }),
  }),
  z.object({
    Records: z.array(
      z.object({
        s3: z.object({
          bucket: z.object({ name: z.string() }),
          object: z.object({ key: z.string(), size: z.number().optional() }),
        }),
      }),
    ),
  }),
]);

const decodeKey = (key: string) => decodeURIComponent(key.replace(/\+/g, ' '));

/** Register objects that land under `datasets/<datasetId>/` in the data bucket. */
export const handler = handle(async (event: unknown, _context, log) => {
  const e = parse(ObjectCreated, event, 'S3 event');
  const objects: LandedObject[] =
    'detail' in e
      ? [{ bucket: e.detail.bucket.name, key: e.detail.object.key, size: e.detail.object.size }]
      : e.Records.map((r) => ({
          bucket: r.s3.bucket.name,
          key: decodeKey(r.s3.object.key),
          size: r.s3.object.size,
        }));
  const out = await registerObjects(deps(), objects);
  log.info('objects registered', { ...out });
  // An object passed by (bad lines, empty, outside datasets/) is a warning someone should see in the logs; one
  // registered already is an event delivered twice, which is expected.
  const passedBy = out.skipped.filter((x) => x.reason !== 'already registered');
  if (passedBy.length > 0) log.warn('objects passed by', { skipped: passedBy });
  // An object overwritten at a registered location: its batches fail until `datasets accept` records it.
  if (out.changed.length > 0) log.warn('objects changed at registered locations', { changed: out.changed });
  return out;
});
