import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type AslDefinition,
  LOCAL_MAP_RESOURCE,
  loadDefinition,
  localize,
  substitute,
} from '../../../cli/local/engines/stepfunctions/asl-local.ts';
import { RUN_JOB_ASL_FILE, runJobSubstitutions } from '../../../cli/local/run-job-engine.ts';
import { MAP_RESULTS_WRITER_PREFIX } from '../../../core/contracts/s3-keys.ts';

const values = runJobSubstitutions({ region: 'us-east-1', workBucket: 'batchkeeper-local-work' });

describe('the local form of statemachines/run-job.asl.json', () => {
  it('has a local value for every placeholder of the file, and validates once substituted', () => {
    const placeholders = [...readFileSync(RUN_JOB_ASL_FILE, 'utf8').matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map(
      (m) => m[1],
    );
    expect(placeholders.filter((name) => values[name as string] === undefined)).toEqual([]);
    expect(() => loadDefinition(RUN_JOB_ASL_FILE, values)).not.toThrow();
    // The Map writes its results where the key layout says, as deployed.
    expect(values.MapResultsPrefix).toBe(MAP_RESULTS_WRITER_PREFIX);
  });

  it('serves the Distributed Map locally and keeps the Map as written for the runner', () => {
    const { definition } = loadDefinition(RUN_JOB_ASL_FILE, values);
    const local = localize(definition);

    const map = local.maps.ProcessBatches;
    expect(map?.distributed).toBe(true);
    expect(map?.state.ItemReader).toBeDefined();
    expect(local.definition.States.ProcessBatches).toMatchObject({
      Type: 'Task',
      Resource: LOCAL_MAP_RESOURCE,
    });
    expect(local.definition.States.ProcessBatches?.Catch).toEqual(definition.States.ProcessBatches?.Catch);
    expect(local.types.ProcessBatches).toBe('Map');
    const { ProcessBatchOnContainer: container, ...lambdas } = local.tasks;
    expect(Object.values(lambdas).every((t) => t.kind === 'lambda-invoke')).toBe(true);
    expect(container).toEqual({ kind: 'ecs-run-task-sync' });
    expect(definition.States.ProcessBatches?.Type).toBe('Map');
  });

  it('refuses what it could not run as AWS does, instead of running it otherwise', () => {
    const map = (extra: Record<string, unknown>): AslDefinition => ({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
          End: true,
          ...extra,
        },
      },
    });
    expect(() => localize(map({ ItemBatcher: { MaxItemsPerBatch: 2 } }))).toThrow(/ItemBatcher/);
    expect(() => localize(map({ QueryLanguage: 'JSONata' }))).toThrow(/JSONata/);
    expect(() =>
      localize({
        StartAt: 'T',
        States: { T: { Type: 'Task', Resource: 'arn:aws:states:::sqs:sendMessage', End: true } },
      }),
    ).toThrow(/only Lambda functions and ECS tasks/);
    // An ASL placeholder, not a template literal: built from parts so that it reads as one.
    const text = `{"a": "$${'{'}Nope}"}`;
    expect(() => substitute(text, values)).toThrow(/\$\{Nope\}/);
  });
});
