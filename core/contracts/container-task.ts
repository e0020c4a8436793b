/**
 * What a container that runs one batch (a Fargate task of a container flavor) is given and answers: shared by
 * the task's entrypoint (functions/container/process-batch-task.ts) and whoever starts the task (the state machine's
 * container override, the CDK app).
 */

/** The ProcessBatch event of the task's batch, as JSON: the same event the Lambda handler is invoked with. */
export const TASK_EVENT_ENV = 'BATCHKEEPER_PROCESS_BATCH_EVENT';

/** How the task's process exits: the only answer `ecs:runTask.sync` passes on to the state machine. */
export const TASK_EXIT = {
  /** The batch committed, or there was nothing to do (already done, or another worker holds it). */
  done: 0,
  /** The batch failed; its attempt recorded why (a failure before the lease recorded nothing). */
  failed: 1,
  /** The batch asked to be tried again (RetryableError, a command's exit code 2): its lease was given back. */
  retry: 2,
  /** The task was started wrong: no event, or one that does not parse. Nothing was written. */
  badInput: 3,
} as const;
