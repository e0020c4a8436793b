/*
 * What the local S3 server (s3rver-server.mjs) uses of s3rver 3.7, which ships CommonJS without types. Only
 * that server imports s3rver; the rest of the local mode talks to it over HTTP.
 */

declare module 's3rver' {
  import type { AddressInfo } from 'node:net';

  namespace S3rver {
    interface Options {
      readonly address?: string;
      readonly port?: number;
      /** Where buckets and objects are kept. */
      readonly directory?: string;
      readonly silent?: boolean;
      /** Accept any signature: s3rver does not compute SigV4. */
      readonly allowMismatchedSignatures?: boolean;
      readonly vhostBuckets?: boolean;
    }

    /** The Koa context of one request, as far as a middleware reads and answers it. */
    interface Context {
      readonly method: string;
      readonly path: string;
      readonly query: Readonly<Record<string, string | string[] | undefined>>;
      /** A request header, '' when absent. */
      get(header: string): string;
      status: number;
      type: string;
      body: unknown;
    }

    type Middleware = (ctx: Context, next: () => Promise<void>) => Promise<void>;

    interface Store {
      existsObject(bucket: string, key: string): Promise<boolean>;
    }
  }

  /** s3rver is a Koa application: `middleware` runs in order, before its own routes. */
  class S3rver {
    constructor(options: S3rver.Options);
    readonly middleware: S3rver.Middleware[];
    readonly store: S3rver.Store;
    /** Listen; resolves with the address the server got. */
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }

  export = S3rver;
}

declare module 's3rver/lib/models/account.js' {
  /** The accounts s3rver knows: one, DUMMY_ACCOUNT, with the key pair S3RVER/S3RVER. */
  class AWSAccount {
    static readonly DUMMY_ACCOUNT: AWSAccount;
    createKeyPair(accessKeyId: string, secretAccessKey: string): void;
  }

  export = AWSAccount;
}
