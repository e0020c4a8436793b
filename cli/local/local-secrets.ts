import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CreateAliasCommand, CreateKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { parse } from '../../core/validation.ts';

/**
 * Data-set secrets of the local mode. moto keeps nothing on disk, so every secret created here is recorded
 * (in `<dataDir>/secrets.json`, readable by the owner only) and created again at each start, encrypted with the
 * KMS key made at that start, under the same ARN: moto takes the ARN's 6-character suffix from the
 * `_custom_id_` tag. Data sets store only the ARN, so they keep resolving after a restart.
 */

/** moto's tag for choosing a resource's generated id. */
const CUSTOM_ID_TAG = '_custom_id_';
export const LOCAL_KEY_ALIAS = 'alias/batchkeeper-local';
const SECRET_NAME = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, { error: 'must be 1-512 characters of A-Z a-z 0-9 / _ + = . @ -' });

const SecretRecord = z.object({
  name: SECRET_NAME,
  suffix: z.string().regex(/^[A-Za-z]{6}$/),
  arn: z.string(),
  value: z.string(),
});
type SecretRecord = z.infer<typeof SecretRecord>;

export class LocalSecrets {
  readonly kmsKeyId: string;
  readonly #clients: { secrets: SecretsManagerClient; kms: KMSClient };
  readonly #file: string | undefined;
  readonly #records: Map<string, SecretRecord>;

  private constructor(
    clients: { secrets: SecretsManagerClient; kms: KMSClient },
    file: string | undefined,
    kmsKeyId: string,
    records: SecretRecord[],
  ) {
    this.#clients = clients;
    this.#file = file;
    this.kmsKeyId = kmsKeyId;
    this.#records = new Map(records.map((r) => [r.name, r]));
  }

  /** Create the KMS key of this start, then every recorded secret again. */
  static async open(
    clients: { secrets: SecretsManagerClient; kms: KMSClient },
    file?: string,
  ): Promise<LocalSecrets> {
    const key = await clients.kms.send(
      new CreateKeyCommand({ Description: 'batchkeeper local mode: data-set secrets' }),
    );
    const kmsKeyId = key.KeyMetadata?.KeyId as string;
    await clients.kms.send(new CreateAliasCommand({ AliasName: LOCAL_KEY_ALIAS, TargetKeyId: kmsKeyId }));
    const records =
      file !== undefined && existsSync(file)
        ? parse(z.array(SecretRecord), JSON.parse(readFileSync(file, 'utf8')), `local secrets ${file}`)
        : [];
    const secrets = new LocalSecrets(clients, file, kmsKeyId, records);
    for (const record of records) await secrets.#put(record);
    secrets.#save();
    return secrets;
  }

  /** Create the secret (or give it a new value), KMS-encrypted; returns its ARN, stable across restarts. */
  async create(name: unknown, value: unknown): Promise<string> {
    const secretName = parse(SECRET_NAME, name, 'secret name');
    const secretValue = parse(z.string().min(1, { error: 'must not be empty' }), value, 'secret value');
    const known = this.#records.get(secretName);
    const record = {
      name: secretName,
      suffix: known?.suffix ?? newSuffix(),
      arn: known?.arn ?? '',
      value: secretValue,
    };
    await this.#put(record);
    this.#save();
    return this.#records.get(secretName)?.arn as string;
  }

  async #put(record: SecretRecord): Promise<void> {
    let arn: string | undefined;
    try {
      const out = await this.#clients.secrets.send(
        new CreateSecretCommand({
          Name: record.name,
          SecretString: record.value,
          KmsKeyId: this.kmsKeyId,
          Tags: [{ Key: CUSTOM_ID_TAG, Value: record.suffix }],
        }),
      );
      arn = out.ARN;
    } catch (error) {
      // Created earlier by this very start: a new value is a new version.
      if (!(error instanceof ResourceExistsException)) throw error;
      arn = (
        await this.#clients.secrets.send(
          new PutSecretValueCommand({ SecretId: record.name, SecretString: record.value }),
        )
      ).ARN;
    }
    // A moto without custom ids gives another suffix: the new ARN is recorded, data sets naming the old one break.
    this.#records.set(record.name, { ...record, arn: arn ?? record.arn });
  }

  #save(): void {
    if (this.#file === undefined) return;
    const temporary = `${this.#file}.${process.pid}.tmp`;
    writeFileSync(temporary, JSON.stringify([...this.#records.values()], null, 2), { mode: 0o600 });
    renameSync(temporary, this.#file);
  }
}

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const newSuffix = () => Array.from({ length: 6 }, () => LETTERS[randomInt(LETTERS.length)]).join('');
