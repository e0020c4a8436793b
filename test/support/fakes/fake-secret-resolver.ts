import { SecretAccessError } from '../../../core/errors.ts';
import type { SecretResolver } from '../../../core/ports/index.ts';

const ARN_RE = /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+$/;

/**
 * SecretResolver in memory, with CachedSecretResolver's answers: a value by ARN, or a SecretAccessError that
 * names the ARN and a reason, never a value.
 * @example new FakeSecretResolver({ 'arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf': 'pw' })
 */
export class FakeSecretResolver implements SecretResolver {
  readonly #values: Map<string, string>;

  constructor(values: Readonly<Record<string, string>> = {}) {
    this.#values = new Map(Object.entries(values));
  }

  async resolve(secretArn: string): Promise<string> {
    if (typeof secretArn !== 'string' || !ARN_RE.test(secretArn))
      throw new SecretAccessError({ secretArn: String(secretArn), reason: 'not a Secrets Manager ARN' });
    const value = this.#values.get(secretArn);
    if (value === undefined)
      throw new SecretAccessError({ secretArn, reason: 'no such secret (or no current version)' });
    return value;
  }
}
