import { randomUUID } from 'node:crypto';
import { CreateKeyCommand } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { beforeAll, describe, expect, it } from 'vitest';
import { CachedSecretResolver } from '../../../core/adapters/secrets-resolver.ts';
import { SecretAccessError } from '../../../core/errors.ts';
import type { Clock } from '../../../core/ports/index.ts';
import { type LocalEnv, localEnv } from '../../support/local.ts';

const VALUE = JSON.stringify({ username: 'reader', password: 'pa55-w0rd-do-not-leak' });

let env: LocalEnv;
let keyId: string;

/** A KMS key, and a secret encrypted with it, as a deployment would have them. */
async function createSecret(value = VALUE): Promise<string> {
  const out = await env.clients.secrets.send(
    new CreateSecretCommand({ Name: `bk/test/${randomUUID()}`, KmsKeyId: keyId, SecretString: value }),
  );
  return out.ARN!;
}

/** Counts GetSecretValue calls on the shared client until stop(). */
function countGets() {
  const name = `count-${randomUUID()}`;
  const seen = { calls: 0 };
  env.clients.secrets.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') seen.calls++;
      return next(args);
    },
    { step: 'initialize', name },
  );
  return { seen, stop: () => env.clients.secrets.middlewareStack.remove(name) };
}

function manualClock(start = 1_000_000): Clock & { advance(ms: number): void } {
  let now = start;
  return {
    now: () => now,
    advance: (ms) => {
      now += ms;
    },
  };
}

beforeAll(async () => {
  env = await localEnv('secrets');
  const key = await env.clients.kms.send(new CreateKeyCommand({ Description: 'batchkeeper test key' }));
  keyId = key.KeyMetadata!.KeyId!;
});

describe('CachedSecretResolver', () => {
  it('resolves a KMS-encrypted secret by ARN', async () => {
    const arn = await createSecret();

    expect(await new CachedSecretResolver({ secrets: env.clients.secrets }).resolve(arn)).toBe(VALUE);
  });

  it('keeps a value for its TTL, shares one read among concurrent callers, then reads again', async () => {
    const arn = await createSecret();
    const clock = manualClock();
    const resolver = new CachedSecretResolver({ secrets: env.clients.secrets, ttlMs: 60_000, clock });
    const gets = countGets();

    await Promise.all([resolver.resolve(arn), resolver.resolve(arn), resolver.resolve(arn)]);
    clock.advance(59_999);
    await resolver.resolve(arn);
    const withinTtl = gets.seen.calls;
    await env.clients.secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'rotated' }));
    clock.advance(2);
    const afterTtl = await resolver.resolve(arn);
    gets.stop();

    expect(withinTtl).toBe(1);
    expect(gets.seen.calls).toBe(2);
    expect(afterTtl).toBe('rotated');
  });

  it('turns a missing secret into SecretAccessError without the value in the message', async () => {
    const arn = await createSecret();
    const resolver = new CachedSecretResolver({ secrets: env.clients.secrets });
    expect(await resolver.resolve(arn)).toBe(VALUE);
    await env.clients.secrets.send(
      new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }),
    );
    resolver.forget(arn);

    const error = await resolver.resolve(arn).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SecretAccessError);
    const { message, context, cause } = error as SecretAccessError;
    expect(context).toEqual({ secretArn: arn, reason: expect.any(String) });
    expect(message).toContain(arn);
    expect(message).not.toContain('pa55-w0rd-do-not-leak');
    expect(JSON.stringify(context)).not.toContain('pa55');
    expect((cause as Error).name).toMatch(/ResourceNotFoundException|InvalidRequestException/);
  });

  it('does not cache a failure', async () => {
    const arn = await createSecret();
    await env.clients.secrets.send(
      new DeleteSecretCommand({ SecretId: arn, ForceDeleteWithoutRecovery: true }),
    );
    const resolver = new CachedSecretResolver({ secrets: env.clients.secrets });
    const gets = countGets();

    await expect(resolver.resolve(arn)).rejects.toThrow(SecretAccessError);
    await expect(resolver.resolve(arn)).rejects.toThrow(SecretAccessError);
    gets.stop();

    expect(gets.seen.calls).toBe(2);
  });

  it('refuses anything but a Secrets Manager ARN without calling it', async () => {
    const resolver = new CachedSecretResolver({ secrets: env.clients.secrets });

    await expect(resolver.resolve('username:password')).rejects.toMatchObject({
      name: 'SecretAccessError',
      context: { reason: 'not a Secrets Manager ARN' },
    });
  });
});
