import { describe, expect, it } from 'vitest';
import type { HandlerFunction } from '../../infra/handler-function.ts';
import {
  actions,
  allows,
  build,
  grants,
  logicalId,
  resourcesOf,
  type Statement,
  TEST_CONFIG,
} from './support.ts';

const { stack, template } = build();
const fns = stack.pipeline.functions;
const roleOf = (f: HandlerFunction) => logicalId(stack, f.role);
const processBatchRole = roleOf(fns.processBatch);
const operatorPolicy = logicalId(stack, stack.pipeline.operatorPolicy.policy);
const secretsKey = { 'Fn::GetAtt': [logicalId(stack, stack.stores.secretsKey), 'Arn'] };
const secretArns = [
  { Ref: logicalId(stack, stack.pipeline.secrets.node.findChild('Secret-images')) },
  TEST_CONFIG.datasets[1]?.secretArn,
];

const viaService = (s: Statement) => s.Condition?.StringEquals?.['kms:ViaService'];

const all = grants(template.toJSON().Resources);

describe('least privilege', () => {
  it("lets only ProcessBatch read secrets, and only the data sets' secrets", () => {
    const readers = all.filter((g) => allows(g.statement, 'secretsmanager:GetSecretValue'));
    expect(readers.map((g) => g.owner)).toEqual([processBatchRole]);
    expect(readers[0]?.statement.Resource).toEqual(secretArns);
  });

  it('lets only ProcessBatch decrypt through Secrets Manager, only with the secrets key', () => {
    const decrypts = all.filter((g) => allows(g.statement, 'kms:Decrypt'));
    expect(decrypts.length).toBeGreaterThan(0);
    for (const { owner, statement } of decrypts) {
      // Every KMS grant is bound to one service: none can decrypt a secret by calling KMS directly.
      const service = viaService(statement);
      expect(service, `${owner} has an unconditioned kms:Decrypt`).toMatch(
        /^(dynamodb|s3|secretsmanager)\.us-east-1\./,
      );
      const isSecretsKey = resourcesOf(statement).some(
        (r) => JSON.stringify(r) === JSON.stringify(secretsKey),
      );
      if (owner === processBatchRole && isSecretsKey) {
        expect(service).toBe('secretsmanager.us-east-1.amazonaws.com');
        continue;
      }
      expect(service, `${owner} may decrypt through Secrets Manager`).not.toMatch(/^secretsmanager/);
      expect(isSecretsKey, `${owner} is granted the secrets key`).toBe(false);
    }
    const viaSecrets = decrypts.filter((g) => String(viaService(g.statement)).startsWith('secretsmanager'));
    expect(viaSecrets.map((g) => g.owner)).toEqual([processBatchRole]);
  });

  it('never grants a service wildcard action (dynamodb:*, s3:*, kms:*, ...)', () => {
    for (const { owner, statement } of all) {
      for (const action of actions(statement)) expect(action, owner).not.toMatch(/:\*$|^\*$/);
    }
  });

  it('gives each function the table access of the design, and nothing on other tables', () => {
    const tableIds = Object.fromEntries(
      Object.entries(stack.stores.tables).map(([role, table]) => [role, logicalId(stack, table)]),
    );
    const access = (role: string) => {
      const result: Record<string, Set<string>> = {};
      for (const { owner, statement } of all.filter((g) => g.owner === role)) {
        for (const r of resourcesOf(statement)) {
          const text = JSON.stringify(r);
          const table = Object.entries(tableIds).find(([, id]) => text.includes(`"${id}"`))?.[0];
          if (!table || text.includes('/index/')) continue;
          result[table] ??= new Set();
          for (const a of actions(statement)) {
            if (a === 'dynamodb:PutItem') result[table].add('W');
            if (a === 'dynamodb:GetItem') result[table].add('R');
          }
          expect(owner).toBe(role);
        }
      }
      return Object.fromEntries(Object.entries(result).map(([t, s]) => [t, [...s].sort().join('')]));
    };
    expect(access(roleOf(fns.planRun))).toEqual({ inventory: 'RW', exceptions: 'RW', catalog: 'R' });
    expect(access(processBatchRole)).toEqual({ inventory: 'RW', exceptions: 'RW', catalog: 'R' });
    expect(access(roleOf(fns.recordFailure))).toEqual({ inventory: 'RW' });
    expect(access(roleOf(fns.finalizeRun))).toEqual({ inventory: 'RW', exceptions: 'R' });
    expect(access(roleOf(fns.registerObjects))).toEqual({ catalog: 'RW' });
    expect(access(operatorPolicy)).toEqual({ catalog: 'R', inventory: 'R', exceptions: 'R' });
  });

  it('lets only Plan, ProcessBatch and Finalize delete items, only in the inventory table, and no one batch writes', () => {
    const inventory = { 'Fn::GetAtt': [logicalId(stack, stack.stores.tables.inventory), 'Arn'] };
    const deleters = all.filter((g) => allows(g.statement, 'dynamodb:DeleteItem'));
    expect(deleters.map((g) => g.owner).sort()).toEqual(
      [roleOf(fns.planRun), processBatchRole, roleOf(fns.finalizeRun)].sort(),
    );
    for (const { statement } of deleters) expect(resourcesOf(statement)).toEqual([inventory]);
    // BatchWriteItem is authorized as itself, puts and deletes alike: it would reach any item of a table.
    expect(all.filter((g) => allows(g.statement, 'dynamodb:BatchWriteItem'))).toEqual([]);
  });

  it('lets the operator policy start and watch runs and resolve exceptions, but not write the inventory', () => {
    const operator = all.filter((g) => g.owner === operatorPolicy).map((g) => g.statement);
    expect(operator.some((s) => allows(s, 'states:StartExecution'))).toBe(true);
    const updates = operator.filter((s) => allows(s, 'dynamodb:UpdateItem'));
    expect(updates.flatMap(resourcesOf)).toEqual([
      { 'Fn::GetAtt': [logicalId(stack, stack.stores.tables.exceptions), 'Arn'] },
    ]);
    expect(operator.some((s) => allows(s, 'dynamodb:PutItem') || allows(s, 'dynamodb:DeleteItem'))).toBe(
      false,
    );
  });

  it('lets only Plan, ProcessBatch and the Map ResultWriter write to the work bucket, each under its prefixes', () => {
    const work = logicalId(stack, stack.stores.workBucket);
    const writers = all
      .filter((g) => allows(g.statement, 's3:PutObject'))
      .flatMap((g) => resourcesOf(g.statement).map((r) => ({ owner: g.owner, arn: JSON.stringify(r) })))
      .filter((w) => w.arn.includes(work));
    const stateMachineRole = logicalId(stack, stack.pipeline.runJob.stateMachine.role);
    expect(writers.map((w) => [w.owner, w.arn.match(/\/([a-z-]+)\/\*/)?.[1]]).sort()).toEqual(
      [
        [roleOf(fns.planRun), 'manifests'],
        [roleOf(fns.planRun), 'outputs'],
        [processBatchRole, 'outputs'],
        [processBatchRole, 'samples'],
        [processBatchRole, 'staging'],
        [stateMachineRole, 'map-results'],
      ].sort(),
    );
  });

  it("lets only Plan, ProcessBatch and Finalize put events, and only on the deployment's bus", () => {
    const bus = { 'Fn::GetAtt': [logicalId(stack, stack.stores.eventBus), 'Arn'] };
    const publishers = all.filter((g) => allows(g.statement, 'events:PutEvents'));
    expect(publishers.map((g) => g.owner).sort()).toEqual(
      [roleOf(fns.planRun), processBatchRole, roleOf(fns.finalizeRun)].sort(),
    );
    for (const { statement } of publishers) {
      expect(actions(statement)).toEqual(['events:PutEvents']);
      expect(resourcesOf(statement)).toEqual([bus]);
    }
    // Nothing else of EventBridge for anyone: no rule, target, archive or bus management.
    const otherEvents = all.filter((g) =>
      actions(g.statement).some((a) => a.startsWith('events:') && a !== 'events:PutEvents'),
    );
    expect(otherEvents).toEqual([]);
  });

  it('grants no secret at all when no data set has one', () => {
    const bare = grants(build({ processors: TEST_CONFIG.processors }).template.toJSON().Resources);
    expect(bare.filter((g) => allows(g.statement, 'secretsmanager:GetSecretValue'))).toEqual([]);
    expect(bare.filter((g) => String(viaService(g.statement)).startsWith('secretsmanager'))).toEqual([]);
  });
});
