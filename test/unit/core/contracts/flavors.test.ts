import { describe, expect, it } from 'vitest';
import {
  CONTAINER_FLAVORS,
  CONTAINER_TASK_TIMEOUT_SECONDS,
  FLAVORS,
  flavorFor,
  isContainerFlavor,
  isFargateSize,
  Routing,
} from '../../../../core/contracts/flavors.ts';
import { WORKER_SIZES } from '../../../../core/contracts/functions.ts';
import { ManifestItem } from '../../../../core/events.ts';

describe('container flavors', () => {
  it.each(Object.entries(CONTAINER_FLAVORS))(
    '%s is a CPU, memory and storage size Fargate runs',
    (_, flavor) => {
      expect(isFargateSize(flavor)).toBe(true);
    },
  );

  it('tells a Fargate size from one Fargate refuses', () => {
    expect(isFargateSize({ cpu: 1024, memoryMb: 2048, ephemeralStorageGiB: 21 })).toBe(true);
    expect(isFargateSize({ cpu: 1024, memoryMb: 16_384, ephemeralStorageGiB: 21 })).toBe(false);
    expect(isFargateSize({ cpu: 8192, memoryMb: 18_432, ephemeralStorageGiB: 21 })).toBe(false);
    expect(isFargateSize({ cpu: 3000, memoryMb: 8192, ephemeralStorageGiB: 21 })).toBe(false);
    expect(isFargateSize({ cpu: 2048, memoryMb: 8192, ephemeralStorageGiB: 20 })).toBe(false);
    expect(isFargateSize({ cpu: 2048, memoryMb: 8192, ephemeralStorageGiB: 201 })).toBe(false);
  });

  it('lists the Lambda sizes and the container flavors under one set of names', () => {
    for (const [name, limits] of Object.entries(WORKER_SIZES))
      expect(FLAVORS[name as keyof typeof FLAVORS]).toEqual({ kind: 'lambda', ...limits });
    for (const [name, size] of Object.entries(CONTAINER_FLAVORS))
      expect(FLAVORS[name as keyof typeof FLAVORS]).toEqual({ kind: 'fargate', ...size });
    expect(isContainerFlavor('fargate-large')).toBe(true);
    expect(isContainerFlavor('large')).toBe(false);
  });

  it('gives the container Task a backstop timeout above every flavor', () => {
    for (const flavor of Object.values(CONTAINER_FLAVORS))
      expect(CONTAINER_TASK_TIMEOUT_SECONDS).toBeGreaterThan(flavor.timeoutSeconds);
  });
});

describe('routing by weight', () => {
  const routing = Routing.parse({ flavor: 'fargate-medium', minWeight: 1000 });

  it('sends a batch at or above the threshold to the container flavor and the rest to Lambda', () => {
    expect(flavorFor(routing, 999)).toBeUndefined();
    expect(flavorFor(routing, 1000)).toBe('fargate-medium');
    expect(flavorFor(routing, 50_000)).toBe('fargate-medium');
    expect(flavorFor(undefined, 50_000)).toBeUndefined();
  });

  it('sends every batch to the container when no threshold is given', () => {
    expect(flavorFor(Routing.parse({ flavor: 'fargate-small' }), 0)).toBe('fargate-small');
  });

  it('refuses an unknown flavor and a negative threshold, naming the field and the rule', () => {
    const bad = Routing.safeParse({ flavor: 'huge', minWeight: -1 });
    expect(bad.success).toBe(false);
    const issues = bad.error?.issues.map((i) => [i.path.join('.'), i.message]);
    expect(issues).toEqual([
      ['flavor', expect.stringMatching(/^must be one of fargate-small, /)],
      ['minWeight', 'must be >= 0'],
    ]);
  });

  it('lets a manifest item carry a container flavor, and no other name', () => {
    const item = { start: 1, end: 10, stride: 1, scope: 'inventory' };
    expect(ManifestItem.parse({ ...item, flavor: 'fargate-xlarge' }).flavor).toBe('fargate-xlarge');
    expect(ManifestItem.safeParse({ ...item, flavor: 'large' }).success).toBe(false);
  });
});
