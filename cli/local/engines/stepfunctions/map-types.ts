import type { S3Client } from '@aws-sdk/client-s3';
import type { AslDefinition } from './asl-local.ts';
import type { Json } from './json.ts';
import type { ExecutionHistory, Lane } from './sfn-history.ts';

/**
 * What the local Map runner (map-run.ts) shares with the files that read a Map's items and settings
 * (map-items.ts) and write its results (map-results.ts), and with the runner that starts its children.
 */

export type ChildOutcome =
  | { readonly status: 'SUCCEEDED'; readonly output: Json }
  | { readonly status: 'FAILED'; readonly error: string; readonly cause: string }
  | { readonly status: 'ABORTED' };

export interface ChildRun {
  readonly outcome: Promise<ChildOutcome>;
  abort(): void;
}

/** What the Map runner needs from the run that reached the Map state. */
export interface MapScope {
  readonly s3: S3Client;
  readonly region: string;
  readonly account: string;
  readonly stateMachineName: string;
  readonly history: ExecutionHistory;
  readonly lane: Lane;
  readonly signal: AbortSignal;
  /** The context object ($$) of the run, for paths in ItemReader, ItemSelector and the settings. */
  readonly context: Record<string, unknown>;
  runChild(
    processor: AslDefinition,
    input: Json,
    child: { lane: Lane; context: Record<string, unknown> },
  ): ChildRun;
}

/** One iteration, kept for ResultWriter. */
export interface ChildResult {
  readonly index: number;
  readonly name: string;
  readonly arn: string;
  readonly input: Json;
  readonly outcome: ChildOutcome;
  readonly startDate: number;
  readonly stopDate: number;
}

export interface MapRunIds {
  readonly arn: string;
  readonly id: string;
  readonly childPrefix: string;
}

/** How many iterations run at once, and how many may fail. */
export interface MapSettings {
  readonly concurrency: number;
  readonly toleratedPercentage?: number;
  readonly toleratedCount?: number;
}
