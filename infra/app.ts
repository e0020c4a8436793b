import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatchkeeperError } from '../core/errors.ts';
import { type LoadedProcessors, loadProjectProcessors } from '../project/load-processors.ts';
import { BatchkeeperStack } from './batchkeeper-stack.ts';
import { parsePipelineConfig } from './pipeline-config.ts';

/**
 * The CDK app. With no account in the environment (no credentials, `npm run synth` offline) it falls back to a
 * fixed placeholder account and region; `cdk deploy` with credentials fills CDK_DEFAULT_ACCOUNT/REGION.
 */
export const FALLBACK_ENV = { account: '123456789012', region: 'us-east-1' } as const;

/**
 * One BatchkeeperStack in `app`, shaped by the `batchkeeper` context (cdk.json or `-c`), running `processors`.
 * @default processors batchkeeper's built-ins
 */
export function buildApp(
  app: App = new App(),
  processors?: LoadedProcessors,
): { app: App; stack: BatchkeeperStack } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new BatchkeeperStack(app, app.node.tryGetContext('batchkeeper:stackName') ?? 'Batchkeeper', {
    description: 'batchkeeper: serverless batch inventory and orchestration',
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? FALLBACK_ENV.account,
      region: process.env.CDK_DEFAULT_REGION ?? FALLBACK_ENV.region,
    },
    pipeline: parsePipelineConfig(app.node.tryGetContext('batchkeeper')),
    processors,
  });
  return { app, stack };
}

/**
 * The CDK app of a project: loads the processors module its package.json names (or the built-ins), builds the
 * stack and synthesizes it. A bad setting ends the app with its message (field and rule) and exit code 1, not a
 * stack trace.
 * @example
 * // bin/app.ts of a project, run by cdk.json's "app": "npx tsx bin/app.ts"
 * import { synthProject } from 'batchkeeper/cdk';
 * await synthProject();
 */
export async function synthProject(o: { from?: string; app?: App } = {}): Promise<void> {
  try {
    const processors = await loadProjectProcessors(o.from);
    buildApp(o.app ?? new App(), processors).app.synth();
  } catch (error) {
    if (!(error instanceof BatchkeeperError)) throw error;
    process.stderr.write(`batchkeeper: ${error.message}\n`);
    process.exitCode = 1;
  }
}

// Run as the CDK app (cdk.json: `npx tsx infra/app.ts`), not when a test imports buildApp.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  await synthProject();
}
