import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { RetryableError, SecretAccessError } from '../errors.ts';
import type { Clock, SecretResolver } from '../ports/index.ts';
import { systemClock } from '../ports/index.ts';

/** Why a secret is not accessible, by SDK error name. The SDK's own message is never copied into ours. */
const REASONS: Readonly<Record<string, string>> = {
  ResourceNotFoundException: 'no such secret (or no current version)',
  AccessDeniedException: 'access denied to the secret',
  AccessDenied: 'access denied to the secret',
  DecryptionFailure: 'the secret cannot be decrypted with its KMS key',
  InvalidRequestException: 'the secret cannot be read now (deleted or scheduled for deletion?)',
  InvalidParameterException: 'the request for the secret was refused',
};

const ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

interface Cached {
  readonly value: Promise<string>;
  /** Epoch ms after which the value is read again; Infinity while the first read is in flight. */
  expiresAt: number;
}

/**
 * Resolves secrets by ARN with Secrets Manager, keeping each value for `ttlMs` per container (a Lambda
 * container serves many batches; a rotation is picked up within the TTL). Concurrent callers share one read.
 * Values are never logged and never put into an error: failures name the ARN and a reason only.
 * @example const secrets = new CachedSecretResolver({ secrets: clients.secrets, ttlMs: 60_000 });
 */
export class CachedSecretResolver implements SecretResolver {
  readonly #secrets: SecretsManagerClient;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  readonly #cache = new Map<string, Cached>();

  constructor(props: {
    readonly secrets: SecretsManagerClient;
    readonly ttlMs?: number;
    readonly clock?: Clock;
  }) {
    this.#secrets = props.secrets;
    this.#ttlMs = props.ttlMs ?? 300_000;
    this.#clock = props.clock ?? systemClock;
  }

  /** The secret's current value: SecretString, or SecretBinary as base64. */
  resolve(secretArn: string): Promise<string> {
    if (typeof secretArn !== 'string' || !ARN_RE.test(secretArn)) {
      return Promise.reject(
        new SecretAccessError({ secretArn: String(secretArn), reason: 'not a Secrets Manager ARN' }),
      );
    }
    const cached = this.#cache.get(secretArn);
    if (cached && cached.expiresAt > this.#clock.now()) return cached.value;
    const entry: Cached = { value: this.#fetch(secretArn), expiresAt: Number.POSITIVE_INFINITY };
    this.#cache.set(secretArn, entry);
    entry.value.then(
      () => {
        entry.expiresAt = this.#clock.now() + this.#ttlMs;
      },
      // A failure is not cached: the next call asks again (the grant may have been fixed meanwhile).
      () => {
        if (this.#cache.get(secretArn) === entry) this.#cache.delete(secretArn);
      },
    );
    return entry.value;
  }

  /** Drop cached values (one, or all): for a caller that knows a secret was just rotated. */
  forget(secretArn?: string): void {
    if (secretArn === undefined) this.#cache.clear();
    else this.#cache.delete(secretArn);
  }

  async #fetch(secretArn: string): Promise<string> {
    try {
      const out = await this.#secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
      if (out.SecretString !== undefined) return out.SecretString;
      if (out.SecretBinary !== undefined) return Buffer.from(out.SecretBinary).toString('base64');
      throw new SecretAccessError({ secretArn, reason: 'the secret has no value' });
    } catch (e) {
      throw translate(secretArn, e);
    }
  }
}

function translate(secretArn: string, e: unknown): Error {
  if (e instanceof SecretAccessError) return e;
  const err = e as { name?: string; $fault?: string; $retryable?: unknown };
  const name = err.name ?? 'Error';
  const reason = REASONS[name];
  if (reason) return new SecretAccessError({ secretArn, reason }, { cause: e });
  // Throttling and server faults outlived the SDK's retries: the batch may be tried again later.
  if (err.$fault === 'server' || err.$retryable !== undefined || name === 'ThrottlingException') {
    return new RetryableError(`secret ${secretArn} is unavailable for now (${name})`, {
      cause: e,
      context: { secretArn },
    });
  }
  return new SecretAccessError({ secretArn, reason: `unexpected ${name}` }, { cause: e });
}
