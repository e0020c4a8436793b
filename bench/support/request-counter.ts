import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);
const READS = new Set([
  'GetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'BatchGetItemCommand',
  'TransactGetItemsCommand',
]);

/** Requests an SDK client sent, by command name: the figures behind "requests per batch". */
export class RequestCounter {
  readonly byCommand = new Map<string, number>();

  /** Count every request of `client` (a DynamoDB or S3 client) from now on. */
  attach(client: DynamoDBClient | S3Client, prefix = ''): this {
    type Next = (args: unknown) => Promise<unknown>;
    const stack = client.middlewareStack as unknown as {
      add(
        mw: (next: Next, context: { commandName?: string }) => Next,
        options: { step: 'initialize'; name: string },
      ): void;
    };
    stack.add(
      (next, context) => async (args) => {
        const name = `${prefix}${context.commandName ?? 'unknown'}`;
        this.byCommand.set(name, (this.byCommand.get(name) ?? 0) + 1);
        return next(args);
      },
      { step: 'initialize', name: `count-requests-${prefix}${Math.random()}` },
    );
    return this;
  }

  get writes(): number {
    return this.sum((c) => WRITES.has(c));
  }
  get reads(): number {
    return this.sum((c) => READS.has(c));
  }
  count(name: string): number {
    return this.byCommand.get(name) ?? 0;
  }
  reset(): void {
    this.byCommand.clear();
  }
  private sum(pick: (command: string) => boolean): number {
    let n = 0;
    for (const [c, k] of this.byCommand) if (pick(c)) n += k;
    return n;
  }
}
