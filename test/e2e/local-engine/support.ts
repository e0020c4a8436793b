import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { type LocalMode, type LocalOptions, startLocal } from '../../../cli/local/local-up.ts';
import { builtinProcessors } from '../../../core/processors/builtin.ts';
import type { AnyProcessor } from '../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import { countItems } from '../../support/local.ts';

/** A local mode of its own for one test file, with the built-in processors plus `extra`, and its SDK client. */
export interface TestLocal {
  readonly mode: LocalMode;
  readonly sfn: SFNClient;
  readonly dir: string;
  stop(): Promise<void>;
}

export async function startTestLocal(
  extra: readonly AnyProcessor[] = [],
  options: LocalOptions = {},
): Promise<TestLocal> {
  const dir = mkdtempSync(join(tmpdir(), 'bk-local-e2e-'));
  const mode = await startLocal({
    stateFile: join(dir, 'local.json'),
    processors: createRegistry([...builtinProcessors, ...extra]),
    retryIntervalMs: 10,
    logLevel: 'SILENT',
    ...options,
  });
  return {
    mode,
    sfn: sfnClientFor(mode),
    dir,
    stop: async () => {
      await mode.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The real SDK client, pointed at the local endpoint as a user's would be. */
export function sfnClientFor(mode: LocalMode): SFNClient {
  const { endpoints, region, credentials } = mode.state;
  return new SFNClient({ endpoint: endpoints.sfn, region, credentials });
}

export const uniqueId = (label: string) => `${label}-${randomBytes(3).toString('hex')}`;

/**
 * Poll DescribeExecution until the execution is no longer RUNNING. The deadline only stops a test that went
 * wrong: under load an execution takes what it takes, and the test's own timeout bounds the wait.
 */
export async function waitForExecution(
  sfn: SFNClient,
  executionArn: string,
  timeoutMs = 300_000,
): Promise<DescribeExecutionOutput> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    if (out.status !== 'RUNNING') return out;
    if (Date.now() > deadline)
      throw new Error(`execution ${executionArn} still RUNNING after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Every history event, through the paginated API. */
export async function historyOf(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 200 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Names of the states entered with a given entered-event type, e.g. TaskStateEntered. */
export const entered = (events: readonly HistoryEvent[], type: string) =>
  events.filter((e) => e.type === type).map((e) => e.stateEnteredEventDetails?.name);

/** Keys under a prefix of a bucket of the local mode. */
export async function keysUnder(mode: LocalMode, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await mode.clients.s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key])));
    token = page.NextContinuationToken;
  } while (token);
  return keys;
}

/** Items in each table of the local mode, for tests that prove nothing was written. */
export function tableCounts(mode: LocalMode): Promise<Record<string, number>> {
  return countItems({ clients: mode.clients, tables: mode.state.tables });
}
