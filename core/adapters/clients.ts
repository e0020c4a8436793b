import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export type ServiceName = 'dynamodb' | 's3' | 'sfn' | 'secretsmanager' | 'kms';

export interface ClientOptions {
  readonly region?: string;
  /** Per-service endpoint overrides: the local mode and the tests point these at loopback. */
  readonly endpoints?: Partial<Record<ServiceName, string>>;
  /** Static credentials for local engines; on AWS the default provider chain is used. */
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
}

export interface Clients {
  readonly ddb: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly sfn: SFNClient;
  readonly secrets: SecretsManagerClient;
  readonly kms: KMSClient;
}

/** Credentials every local engine accepts: DynamoDB Local scopes tables by key, so all callers use these. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'batchkeeper', secretAccessKey: 'batchkeeper' } as const;
export const LOCAL_REGION = 'us-east-1';

/**
 * The SDK logs nothing by default, yet its logger middleware builds a log entry of every request and response
 * (walking each for sensitive members) to hand to the no-op logger's `info`. It calls `info` and `error` only
 * when the logger has them, so a logger without them skips that work. Nothing is logged either way.
 */
const SILENT_SDK_LOGGER = { debug() {}, trace() {}, warn() {} } as unknown as NonNullable<
  DynamoDBClientConfig['logger']
>;

/**
 * Build every SDK client once (per cold start, per CLI call, per test file).
 * @example const clients = makeClients({ region: 'eu-west-1' });
 */
export function makeClients(options: ClientOptions = {}): Clients {
  const base = {
    logger: SILENT_SDK_LOGGER,
    region: options.region ?? process.env.AWS_REGION ?? LOCAL_REGION,
    // A copy: the SDK annotates the credentials object it is given; the caller's stays as it was.
    credentials: options.credentials ? { ...options.credentials } : undefined,
  };
  const endpoints = { ...endpointsFromEnv(), ...options.endpoints };
  const at = (service: ServiceName) => {
    const endpoint = endpoints[service];
    return endpoint ? { ...base, endpoint } : base;
  };
  const ddb = new DynamoDBClient(at('dynamodb'));
  const s3Local = endpoints.s3 !== undefined;
  return {
    ddb,
    doc: DynamoDBDocumentClient.from(ddb, { marshallOptions: { removeUndefinedValues: true } }),
    // Local S3 engines need path-style addressing; checksums only when the API requires them.
    s3: new S3Client(
      s3Local
        ? {
            ...at('s3'),
            forcePathStyle: true,
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }
        : at('s3'),
    ),
    sfn: new SFNClient(at('sfn')),
    secrets: new SecretsManagerClient(at('secretsmanager')),
    kms: new KMSClient(at('kms')),
  };
}

/** The SDK's service-specific endpoint variables (AWS_ENDPOINT_URL_DYNAMODB, ...), as the local mode sets them. */
export const ENDPOINT_ENV: Record<ServiceName, string> = {
  dynamodb: 'AWS_ENDPOINT_URL_DYNAMODB',
  s3: 'AWS_ENDPOINT_URL_S3',
  sfn: 'AWS_ENDPOINT_URL_SFN',
  secretsmanager: 'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  kms: 'AWS_ENDPOINT_URL_KMS',
};

function endpointsFromEnv(env: NodeJS.ProcessEnv = process.env): Partial<Record<ServiceName, string>> {
  const out: Partial<Record<ServiceName, string>> = {};
  for (const [service, name] of Object.entries(ENDPOINT_ENV) as [ServiceName, string][]) {
    const value = env[name] ?? env.AWS_ENDPOINT_URL;
    if (value) out[service] = value;
  }
  return out;
}
