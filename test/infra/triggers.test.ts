import { describe, expect, it } from 'vitest';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../core/contracts/bus.ts';
import { allows, build, grants, logicalId, type TemplateResources } from './support.ts';

const { stack, template } = build();
const pipeline = stack.pipeline;
const resources = template.toJSON().Resources as TemplateResources;
const rules = Object.values(resources).filter((r) => r.Type === 'AWS::Events::Rule');
const triggerFn = logicalId(stack, pipeline.functions.triggerRuns.fn);
const targetsTrigger = (r: (typeof rules)[number]) =>
  ((r.Properties.Targets ?? []) as { Arn: { 'Fn::GetAtt': string[] } }[]).some(
    (t) => t.Arn['Fn::GetAtt']?.[0] === triggerFn,
  );

describe('RunTriggers', () => {
  it('sends every commit and run end on the deployment bus to TriggerRuns, with a dead-letter queue', () => {
    const onEvents = rules.filter((r) => targetsTrigger(r) && r.Properties.EventPattern);
    expect(onEvents).toHaveLength(1);
    const [rule] = onEvents;
    expect(rule?.Properties.EventBusName).toEqual({ Ref: logicalId(stack, stack.stores.eventBus) });
    expect(rule?.Properties.EventPattern).toEqual({
      source: [EVENT_SOURCE],
      'detail-type': [DETAIL_TYPES.BatchCommitted, DETAIL_TYPES.RunFinished],
    });
    const [target] = (rule?.Properties.Targets ?? []) as { DeadLetterConfig?: unknown }[];
    expect(target?.DeadLetterConfig).toBeDefined();
  });

  it('reconciles every five minutes with the reconcile input', () => {
    const scheduled = rules.filter((r) => targetsTrigger(r) && r.Properties.ScheduleExpression);
    expect(scheduled.map((r) => r.Properties.ScheduleExpression)).toEqual(['rate(5 minutes)']);
    const [target] = (scheduled[0]?.Properties.Targets ?? []) as { Input: string }[];
    expect(JSON.parse(target?.Input ?? '{}')).toEqual({ reconcile: true });
  });

  it('lets TriggerRuns start executions of the run state machine only, and no other function', () => {
    const role = logicalId(stack, pipeline.functions.triggerRuns.role);
    const starting = grants(resources).filter((g) => allows(g.statement, 'states:StartExecution'));
    const owners = new Set(starting.map((g) => g.owner));
    expect(owners.has(role)).toBe(true);
    for (const fn of pipeline.functions.all()) {
      if (fn === pipeline.functions.triggerRuns) continue;
      expect(owners.has(logicalId(stack, fn.role)), fn.node.id).toBe(false);
    }
    const mine = starting.filter((g) => g.owner === role).map((g) => g.statement);
    expect(mine.every((s) => JSON.stringify(s.Resource).includes('run-job'))).toBe(true);
    // It reads, and writes nothing to the tables.
    const own = grants(resources)
      .filter((g) => g.owner === role)
      .map((g) => g.statement);
    for (const action of ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'])
      expect(
        own.some((s) => allows(s, action)),
        action,
      ).toBe(false);
  });
});
