import { describe, expect, it } from 'vitest';
import { type NameKey, namesFromOutputs, resolveTarget, TargetNotFoundError } from '../../../cli/target.ts';

const ENV = {
  BATCHKEEPER_CATALOG_TABLE: 'cat',
  BATCHKEEPER_INVENTORY_TABLE: 'inv',
  BATCHKEEPER_EXCEPTIONS_TABLE: 'exc',
  BATCHKEEPER_DATA_BUCKET: 'data',
  BATCHKEEPER_WORK_BUCKET: 'work',
  BATCHKEEPER_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:run-job',
};

describe('resolveTarget on AWS', () => {
  it('takes every name from the BATCHKEEPER_* variables without asking CloudFormation', async () => {
    const target = await resolveTarget({ region: 'eu-west-1', env: ENV });
    expect(target).toMatchObject({
      kind: 'aws',
      region: 'eu-west-1',
      tables: { catalog: 'cat', inventory: 'inv', exceptions: 'exc' },
      buckets: { work: 'work', data: 'data' },
      stateMachineArn: ENV.BATCHKEEPER_STATE_MACHINE_ARN,
    });
  });
});

describe('namesFromOutputs', () => {
  it('reads the documented output keys', () => {
    const found = new Map<NameKey, string>([['work', 'from-env']]);
    namesFromOutputs(
      'Batchkeeper',
      [
        { OutputKey: 'CatalogTableName', OutputValue: 'c' },
        { OutputKey: 'InventoryTableName', OutputValue: 'i' },
        { OutputKey: 'ExceptionsTableName', OutputValue: 'x' },
        { OutputKey: 'DataBucketName', OutputValue: 'd' },
        { OutputKey: 'WorkBucketName', OutputValue: 'w' },
        { OutputKey: 'StateMachineArn', OutputValue: 'arn' },
      ],
      found,
    );
    expect(Object.fromEntries(found)).toEqual({
      work: 'from-env',
      catalog: 'c',
      inventory: 'i',
      exceptions: 'x',
      data: 'd',
      stateMachineArn: 'arn',
    });
  });

  it('reads the outputs the CDK stack emits, named after the environment variables', () => {
    const found = new Map<NameKey, string>();
    const outputs = Object.entries(ENV).map(([name, value]) => ({
      OutputKey: name.replace(/_/g, ''),
      OutputValue: value,
      Description: name,
    }));
    namesFromOutputs('Batchkeeper', outputs, found);
    expect(found.get('inventory')).toBe('inv');
    expect(found.get('stateMachineArn')).toBe(ENV.BATCHKEEPER_STATE_MACHINE_ARN);
  });

  it('names the output that is missing', () => {
    const missing = () =>
      namesFromOutputs('Other', [{ OutputKey: 'CatalogTableName', OutputValue: 'c' }], new Map());
    expect(missing).toThrow(TargetNotFoundError);
    expect(missing).toThrow(
      'stack Other has no output InventoryTableName (and BATCHKEEPER_INVENTORY_TABLE is not set)',
    );
  });
});
