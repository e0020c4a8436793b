import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { BatchkeeperStack } from './batchkeeper-stack.ts';
import { parsePipelineConfig } from './pipeline-config.ts';

/**
 * The CDK app. With no account in the environment (no credentials, `npm run synth` offline) it falls back to a
 * fixed placeholder account and region; `cdk deploy` with credentials fills CDK_DEFAULT_ACCOUNT/REGION.
 */
export const FALLBACK_ENV = { account: '123456789012', region: 'us-east-1' } as const;

export function buildApp(app: App = new App()): { app: App; stack: BatchkeeperStack } {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new BatchkeeperStack(app, app.node.tryGetContext('batchkeeper:stackName') ?? 'Batchkeeper', {
    description: 'batchkeeper: serverless batch inventory and orchestration',
    env: {
      account: process.env.CDK_DEFAULT_ACCOUNT ?? FALLBACK_ENV.account,
      region: process.env.CDK_DEFAULT_REGION ?? FALLBACK_ENV.region,
    },
    pipeline: parsePipelineConfig(app.node.tryGetContext('batchkeeper')),
  });
  return { app, stack };
}

// Run as the CDK app (cdk.json: `npx tsx infra/app.ts`), not when a test imports buildApp.
const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(realpathSync(entry)).href) {
  buildApp().app.synth();
}
