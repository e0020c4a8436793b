import { App, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { z } from 'zod';
import { defineProcessor } from '../../core/processors/define-processor.ts';
import { createRegistry } from '../../core/processors/registry.ts';
import { buildApp } from '../../infra/app.ts';
import type { BatchkeeperStack } from '../../infra/batchkeeper-stack.ts';
import type { LoadedProcessors } from '../../project/load-processors.ts';

/** A deployment shape that exercises every branch: two worker sizes, both kinds of secret, two schedules. */
export const TEST_CONFIG = {
  processors: [
    { name: 'thumbnails', size: 'small' },
    { name: 'reindex', size: 'small' },
  ],
  datasets: [
    { id: 'images', createSecret: true },
    {
      id: 'partner-feed',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:partner-feed-AbC123',
    },
    { id: 'public' },
  ],
  schedules: [
    { jobId: 'thumbs-daily', expression: 'rate(1 day)' },
    { jobId: 'reindex-monthly', expression: 'cron(0 3 1 * ? *)', timeZone: 'Europe/Paris' },
  ],
  alarmEmail: 'ops@example.com',
};

/** The processors TEST_CONFIG (and a test that adds `video`) names, as a project's module would export them. */
const TEST_PROCESSORS: LoadedProcessors = (() => {
  const of = (name: string, workerSize: 'small' | 'large') =>
    defineProcessor({
      name,
      version: '1',
      workerSize,
      configSchema: z.strictObject({}),
      itemSchema: z.unknown(),
      processItem: () => ({}),
    });
  const registry = createRegistry([of('thumbnails', 'small'), of('reindex', 'small'), of('video', 'large')]);
  return {
    registry,
    processors: registry.names().map((n) => registry.get(n)),
    label: 'the test processors',
  };
})();

/** A resource of a synthesized template: JSON whose shape each test asserts, so it is left loose here. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped by nature; the tests assert its shape.
export type TemplateResource = { Type: string; Properties: Record<string, any> };
export type TemplateResources = Record<string, TemplateResource>;

export interface Built {
  readonly app: App;
  readonly stack: BatchkeeperStack;
  readonly template: Template;
}

/**
 * The app as infra/app.ts builds it, without bundling (the handlers are not compiled) and without the
 * built-in CloudFormation validation: about a second per build.
 */
export function build(config: object = TEST_CONFIG, outdir?: string): Built {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], batchkeeper: config },
    builtinCloudFormationValidation: false,
    ...(outdir ? { outdir } : {}),
  });
  const { stack } = buildApp(app, TEST_PROCESSORS);
  return { app, stack, template: Template.fromStack(stack) };
}

/** The logical id CloudFormation gives a construct's default resource. */
export function logicalId(stack: BatchkeeperStack, construct: IConstruct): string {
  return stack.getLogicalId(construct.node.defaultChild as CfnElement);
}

export interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}
export interface Grant {
  /** Logical id of the role the statement is attached to, or of the managed policy. */
  owner: string;
  statement: Statement;
}

/** Every Allow statement of every identity policy in the template, with the role (or policy) it grants to. */
export function grants(resources: TemplateResources): Grant[] {
  const out: Grant[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const push = (owner: string, doc: { Statement: Statement[] }) => {
      for (const statement of doc.Statement) if (statement.Effect === 'Allow') out.push({ owner, statement });
    };
    if (r.Type === 'AWS::IAM::Policy') {
      for (const role of r.Properties.Roles as { Ref: string }[]) push(role.Ref, r.Properties.PolicyDocument);
    } else if (r.Type === 'AWS::IAM::ManagedPolicy') {
      push(id, r.Properties.PolicyDocument);
    } else if (r.Type === 'AWS::IAM::Role') {
      for (const p of (r.Properties.Policies ?? []) as { PolicyDocument: { Statement: Statement[] } }[]) {
        push(id, p.PolicyDocument);
      }
    }
  }
  return out;
}
export const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);
export const resourcesOf = (s: Statement) => (Array.isArray(s.Resource) ? s.Resource : [s.Resource]);
/** Does the action list cover `action` (literally or through a wildcard)? */
export const allows = (s: Statement, action: string) =>
  actions(s).some((a) =>
    new RegExp(`^${a.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(action),
  );
