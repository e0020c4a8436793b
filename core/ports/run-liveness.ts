/** Whether a run (a Step Functions execution) is still running: a reservation by a finished run is stale. */
export interface RunLiveness {
  isActive(jobId: string, runId: string): Promise<boolean>;
}
