import type { Deps } from '../deps.ts';

/**
 * Whether a run still executes, asked once per run and remembered by the returned function. With a liveness
 * port (Step Functions) its execution is asked; without one, a run that has finalized is dead and one that has
 * not is live (until its reservations expire).
 */
export function liveRuns(
  deps: Pick<Deps, 'liveness' | 'runs'>,
): (jobId: string, runId: string) => Promise<boolean> {
  const known = new Map<string, Promise<boolean>>();
  return (jobId, runId) => {
    const key = `${jobId}/${runId}`;
    let answer = known.get(key);
    if (!answer) {
      answer = deps.liveness ? deps.liveness.isActive(jobId, runId) : notFinished(deps, jobId, runId);
      known.set(key, answer);
    }
    return answer;
  };
}

async function notFinished(deps: Pick<Deps, 'runs'>, jobId: string, runId: string): Promise<boolean> {
  const run = await deps.runs.getRun(jobId, runId);
  return !run || run.status === 'PLANNED';
}
