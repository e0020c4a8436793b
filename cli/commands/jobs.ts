import { z } from 'zod';
import { CONTAINER_FLAVOR_NAMES } from '../../core/contracts/flavors.ts';
import { JobNotFoundError } from '../../core/errors.ts';
import { dependentsOf, type Producer, producersOf } from '../../core/jobs/dependencies.ts';
import { createJob, deleteJob, getJob, listJobs, updateJobConfig } from '../../core/jobs/jobs.ts';
import { type JobSummary, jobSummary } from '../../core/jobs/stats.ts';
import {
  BATCH_WEIGHT,
  type Batching,
  BatchWeightTarget,
  type Job,
  MAX_BATCH_ITEMS,
} from '../../core/model.ts';
import { type Json, Name, Text } from '../../core/validation.ts';
import { fields, formatCount, table } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { DependsOnFlag, dependenciesText, RouteFlag, withFlagNames } from './dependency-flags.ts';
import { configOf, IntFlag, JsonFile, JsonText, NumberFlag, RequiredName } from './flags.ts';
import { collect, shortHash } from './support.ts';

const DEFAULT_BATCH_SIZE = 1000;

const batchingText = (b: Batching) =>
  b.by === 'count' ? `${formatCount(b.size)} items` : `weight ${formatCount(b.target)}`;

export const jobsCreate = defineCommand({
  words: ['jobs', 'create'],
  usage:
    '<jobId> --dataset D --processor P [--config JSON | --config-file F] [--batch-size N | --batch-weight W] [--description TEXT] [--max-concurrency N] [--depends-on JOB[:trigger]]... [--route FLAVOR[:MIN_WEIGHT]]',
  summary:
    "create a job over a data set, or over another job's outputs (--dataset <jobId>.outputs); the same spec again is a no-op",
  positionals: ['jobId'],
  flags: {
    dataset: {
      type: 'string',
      help: "--dataset D  the data set the job reads; <jobId>.outputs reads that job's outputs (and waits on it)",
    },
    processor: { type: 'string', help: '--processor P  a registered processor, e.g. normalize-address' },
    config: { type: 'string', help: "--config JSON  the processor's config, a JSON object" },
    'config-file': { type: 'string', help: '--config-file F  the config from a file' },
    'batch-size': { type: 'string', help: `--batch-size N  items per batch (default ${DEFAULT_BATCH_SIZE})` },
    'batch-weight': {
      type: 'string',
      help: `--batch-weight W  target weight (bytes) per batch instead, ${BATCH_WEIGHT.min} (1 KiB) to ${BATCH_WEIGHT.max} (10 GiB)`,
    },
    description: { type: 'string', help: '--description TEXT  what the job does' },
    'max-concurrency': {
      type: 'string',
      help: '--max-concurrency N  batches processed at once (default 10)',
    },
    'depends-on': {
      type: 'string',
      multiple: true,
      help: '--depends-on JOB[:trigger]  wait on a job over the same ids (only its READY ranges); :trigger starts a run when it commits; repeatable',
    },
    route: {
      type: 'string',
      help: `--route FLAVOR[:MIN_WEIGHT]  run batches at least MIN_WEIGHT heavy (default 0: all) on a container flavor (${CONTAINER_FLAVOR_NAMES.join(', ')}), the rest on Lambda`,
    },
  },
  schema: targetArgs({
    jobId: Name,
    dataset: RequiredName,
    processor: RequiredName,
    config: JsonText.optional(),
    'config-file': JsonFile.optional(),
    'batch-size': IntFlag(MAX_BATCH_ITEMS).optional(),
    'batch-weight': NumberFlag(BatchWeightTarget).optional(),
    description: Text(1024).optional(),
    'max-concurrency': IntFlag(10_000).optional(),
    'depends-on': DependsOnFlag.optional(),
    route: RouteFlag.optional(),
  }).superRefine((v, ctx) => {
    configOf(v, ctx, false);
    if (v['batch-size'] !== undefined && v['batch-weight'] !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['batch-weight'],
        message: 'is not allowed together with --batch-size',
      });
    }
  }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const batching: Batching =
      a['batch-weight'] !== undefined
        ? { by: 'weight', target: a['batch-weight'] }
        : { by: 'count', size: a['batch-size'] ?? DEFAULT_BATCH_SIZE };
    const dependsOn = a['depends-on'];
    const { job, created } = await createJob(deps, {
      jobId: a.jobId,
      datasetId: a.dataset,
      processor: { name: a.processor },
      config: a.config ?? a['config-file'] ?? {},
      batching,
      description: a.description,
      maxConcurrency: a['max-concurrency'],
      ...(dependsOn && dependsOn.length > 0 ? { dependsOn } : {}),
      ...(a.route ? { routing: a.route } : {}),
    }).catch((e: unknown) => {
      throw withFlagNames(e);
    });
    const what = created ? 'created job' : 'job exists with this spec already:';
    return { json: { job, created }, text: `${what} ${job.jobId}\n${jobText(job)}` };
  },
});

function jobText(j: Job): string {
  return fields([
    ['job', j.jobId],
    ['data set', j.datasetId],
    ['processor', `${j.processor.name} v${j.processor.version}`],
    ['config', j.config],
    ['config hash', shortHash(j.configHash)],
    ['batches of', batchingText(j.batching)],
    ['depends on', dependenciesText(producersOf(j))],
    ['routing', j.routing ? `${j.routing.flavor} from weight ${formatCount(j.routing.minWeight)}` : 'Lambda'],
    ['max concurrency', j.maxConcurrency],
    ['watermark', j.watermark],
    ['state', j.state],
    ['last run', j.lastRunId],
    ['description', j.description],
  ]);
}

export const jobsList = defineCommand({
  words: ['jobs', 'list'],
  usage: '',
  summary: 'list the jobs',
  positionals: [],
  flags: {},
  schema: targetArgs({}),
  needsTarget: true,
  async run(_a, ctx) {
    const { deps } = await ctx.target();
    const jobs = await collect((p) => listJobs(deps, p));
    const rows = jobs.map((j) => [
      j.jobId,
      j.datasetId,
      j.processor.name,
      batchingText(j.batching),
      j.watermark,
      j.state,
      j.lastRunId,
    ]);
    return {
      json: { jobs },
      text: table(['job', 'data set', 'processor', 'batches of', 'watermark', 'state', 'last run'], rows),
    };
  },
});

export const jobsShow = defineCommand({
  words: ['jobs', 'show'],
  usage: '<jobId>',
  summary:
    'show a job and its statistics: batches by status, items, drift, exceptions, last run; the jobs it waits on and those waiting on it',
  positionals: ['jobId'],
  flags: {},
  schema: targetArgs({ jobId: Name }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const summary = await jobSummary(deps, a.jobId);
    const producers = producersOf(summary.job);
    const dependents = (await dependentsOf(deps, summary.job.jobId)).map(({ job, dependency }) => ({
      jobId: job.jobId,
      trigger: dependency.trigger,
    }));
    return { json: { ...summary, producers, dependents }, text: summaryText(summary, dependents) };
  },
});

function summaryText(s: JobSummary, dependents: readonly Producer[]): string {
  const b = s.batches;
  const x = s.exceptions;
  return `${jobText(s.job)}${fields([
    ['batches', `${b.SUCCEEDED} succeeded, ${b.FAILED} failed, ${b.RUNNING} running, ${b.PENDING} pending`],
    ['items done', `${formatCount(s.itemsDone)} (${formatCount(s.itemsExcepted)} set aside)`],
    ['ids covered', `${formatCount(s.idsCovered.first)}..${formatCount(s.idsCovered.watermark - 1)}`],
    [
      'drifted',
      `${s.drifted} batch(es) done with another config hash than ${shortHash(s.effectiveConfigHash)}`,
    ],
    [
      'exceptions',
      `${x.OPEN} open, ${x.RESOLVED} resolved, ${x.REQUEUED} requeued, ${x.SUPERSEDED} superseded`,
    ],
    ['last run status', s.lastRun?.status],
    ['dependents', dependenciesText(dependents)],
  ])}`;
}

export const jobsUpdateConfig = defineCommand({
  words: ['jobs', 'update-config'],
  usage: '<jobId> (--config JSON | --config-file F)',
  summary: 'set a new config from now on; batches done before keep their hash (see batches --drift)',
  positionals: ['jobId'],
  flags: {
    config: { type: 'string', help: '--config JSON  the new config, a JSON object' },
    'config-file': { type: 'string', help: '--config-file F  the new config from a file' },
  },
  schema: targetArgs({
    jobId: Name,
    config: JsonText.optional(),
    'config-file': JsonFile.optional(),
  }).superRefine((v, ctx) => configOf(v, ctx, true)),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const before = await getJob(deps, a.jobId);
    const job = await updateJobConfig(deps, a.jobId, (a.config ?? a['config-file']) as Json);
    const text = `job ${job.jobId}: config hash ${shortHash(before.configHash)} -> ${shortHash(job.configHash)}\n${jobText(job)}`;
    return { json: { job, previousConfigHash: before.configHash }, text };
  },
});

export const jobsDelete = defineCommand({
  words: ['jobs', 'delete'],
  usage: '<jobId> [--force]',
  summary: 'delete a job and all of its data (inventory, runs, exceptions, outputs)',
  positionals: ['jobId'],
  flags: { force: { type: 'boolean', help: '--force  delete even while a batch is leased' } },
  schema: targetArgs({ jobId: Name, force: z.boolean().optional() }),
  needsTarget: true,
  async run(a, ctx) {
    const report = await deleteJob((await ctx.target()).deps, a.jobId, { force: a.force === true });
    // The core's delete is idempotent (a crashed delete runs again); to a person, an unknown job is an error.
    if (!report.existed) throw new JobNotFoundError({ jobId: a.jobId });
    const text = `deleted job ${a.jobId}: ${report.inventoryItems} inventory record(s), ${report.exceptions} exception(s), ${report.objects} object(s)\n`;
    return { json: { jobId: a.jobId, ...report }, text };
  },
});
