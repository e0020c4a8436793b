import { fileURLToPath } from 'node:url';

/**
 * Facts about statemachines/run-job.asl.json that the CDK construct and the tests share, kept free of
 * aws-cdk-lib so that reading them is cheap.
 */

/** The one source of truth for the workflow, shared with the local mode. */
export const RUN_JOB_ASL_PATH = fileURLToPath(new URL('../statemachines/run-job.asl.json', import.meta.url));

type States = Record<string, Record<string, unknown>>;

/** Labels of the DISTRIBUTED Map states of an ASL definition (their children's ARNs carry them). */
export function distributedMapLabels(definition: unknown): string[] {
  const labels: string[] = [];
  const visit = (states: States) => {
    for (const [name, state] of Object.entries(states)) {
      const processor = state.ItemProcessor as
        | { ProcessorConfig?: { Mode?: string }; States?: States }
        | undefined;
      if (processor?.ProcessorConfig?.Mode === 'DISTRIBUTED') {
        if (typeof state.Label !== 'string') throw new Error(`distributed Map ${name} needs a Label`);
        labels.push(state.Label);
      }
      if (processor?.States) visit(processor.States);
    }
  };
  visit((definition as { States: States }).States);
  return labels;
}

/** The `${Name}` placeholders of an ASL text, each once, in order of appearance. */
export function placeholdersOf(text: string): string[] {
  return [...new Set([...text.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((m) => m[1] as string))];
}
