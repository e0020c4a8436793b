import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_NAMES } from '../../cli/local/local-up.ts';
import { FUNCTIONS } from '../../core/contracts/functions.ts';
import { outputKeyOf } from '../../core/contracts/s3-keys.ts';

/**
 * batchkeeper as a user gets it: the packed tarball, a project scaffolded by its `init` in a folder outside the
 * repository, the tarball installed there (from the npm cache where it can), and everything the scaffold's
 * README promises run with the installed binaries, on this machine's Node and on Node 22 (the `node` package of
 * the npm registry).
 */

const ROOT = join(import.meta.dirname, '..', '..');
const work = mkdtempSync(join(tmpdir(), 'bk-packed-'));
const tool = join(work, 'tool');
const project = join(work, 'my-batches');
let tarball = '';

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a user's shell: none of the npm variables of the `npm test` this runs under. */
function userEnv(node?: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
  );
  if (node) env.PATH = `${dirname(node)}${delimiter}${env.PATH ?? ''}`;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  // Plain text to match on: the vitest running this test may have set FORCE_COLOR for its children.
  delete env.FORCE_COLOR;
  env.NO_COLOR = '1';
  return env;
}

function run(command: string, args: string[], cwd: string, node?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: userEnv(node), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d));
    child.stderr.on('data', (d: Buffer) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A command that must succeed; its output is in the message when it does not. */
async function must(command: string, args: string[], cwd: string, node?: string): Promise<string> {
  const out = await run(command, args, cwd, node);
  if (out.code !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${out.code}\n${out.stdout}\n${out.stderr}`);
  return out.stdout;
}

const npm = (args: string[], cwd: string) => must('npm', [...args, '--no-audit', '--no-fund'], cwd);

beforeAll(async () => {
  // prepack builds dist/ (scripts/build.mjs): the tarball holds the compiled package only.
  const packed = JSON.parse(await npm(['pack', '--json', '--pack-destination', work], ROOT)) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = join(work, packed[0]?.filename ?? '');
  const files = (packed[0]?.files ?? []).map((f) => f.path);
  expect(files).toContain('dist/cli/bin.js');
  expect(files).toContain('LICENSE');
  // No tests, benches or TypeScript sources, but the scaffold's templates and the examples users copy.
  const sources = files.filter((f) => /^(test|bench|scripts)\/|\.ts$/.test(f) && !f.endsWith('.d.ts'));
  expect(sources.filter((f) => !/^(templates\/init|examples)\//.test(f))).toEqual([]);
  expect(files).toContain('examples/python-command/processors.ts');

  mkdirSync(tool);
  writeFileSync(join(tool, 'package.json'), '{"private":true}');
  await npm(['install', '--prefer-offline', tarball], tool);
  const bin = join(tool, 'node_modules', '.bin', 'batchkeeper');
  expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  await must(bin, ['init', project, '--batchkeeper', `file:${tarball}`, '--skip-install'], work);
  await npm(['install', '--prefer-offline'], project);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

/** This machine's Node, then Node 22 from the npm registry's `node` package. */
const RUNTIMES: { label: string; node: () => Promise<string> }[] = [
  { label: `Node ${process.versions.node.split('.')[0]} (this machine)`, node: async () => process.execPath },
  {
    label: 'Node 22',
    node: async () =>
      (
        await must(
          'npm',
          ['exec', '--yes', '--package=node@22', '--', 'node', '-p', 'process.execPath'],
          work,
        )
      ).trim(),
  },
];

describe.each(RUNTIMES)('the scaffold, on $label', ({ node: nodeOf }) => {
  let node = '';
  const bin = () => join(project, 'node_modules', 'batchkeeper', 'dist', 'cli', 'bin.js');
  const batchkeeper = (args: string[]) => run(node, [bin(), ...args], project, node);

  beforeAll(async () => {
    node = await nodeOf();
  });

  it('runs on the Node it is given, and answers --version and a mistyped command', async () => {
    const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version as string;
    expect((await must(node, ['-p', 'process.version'], project, node)).trim()).toMatch(/^v\d+\./);
    expect(await batchkeeper(['--version'])).toMatchObject({ code: 0, stdout: `batchkeeper ${version}\n` });
    const typo = await batchkeeper(['jbos', 'list']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('did you mean "jobs list"?');
  });

  it("passes the scaffold's own tests (tsc, then vitest with testProcessor)", async () => {
    await must(node, [join(project, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit'], project, node);
    const out = await must(
      node,
      [join(project, 'node_modules', 'vitest', 'vitest.mjs'), 'run'],
      project,
      node,
    );
    expect(out).toMatch(/Tests\s+3 passed/);
  });

  it("runs the scaffold's processor in the local mode, and a changed processor without a restart", async () => {
    const dataDir = mkdtempSync(join(work, 'local-'));
    const on = ['--local', '--data-dir', dataDir];
    const up = spawn(node, [bin(), 'local', 'up', '--data-dir', dataDir, '--json'], {
      cwd: project,
      env: userEnv(node),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const source = join(project, 'src', 'processors.ts');
    const original = readFileSync(source, 'utf8');
    try {
      const ready = JSON.parse(await firstLine(up)) as { env: Record<string, string>; processors: string[] };
      expect(ready.processors).toEqual(['word-count']);
      const cli = async (args: string[]) => {
        const out = await batchkeeper([...args, ...on, '--json']);
        expect(out, out.stderr).toMatchObject({ code: 0 });
        return JSON.parse(out.stdout);
      };
      await cli(['datasets', 'register', 'texts', 'data']);
      const created = await cli([
        'jobs',
        'create',
        'count-words',
        '--dataset',
        'texts',
        '--processor',
        'word-count',
      ]);
      expect(created.job).toMatchObject({ processor: { name: 'word-count', version: '1' } });
      const first = await cli(['run', 'count-words', '--wait']);
      expect(first).toMatchObject({ status: 'SUCCEEDED', items: { succeeded: 5, excepted: 1 } });
      expect(await outputsOf(ready.env, 'count-words')).toContainEqual({
        id: 2,
        output: { words: 9, longest: 'quick' },
      });

      // The user edits the processor while the local mode runs: the next run loads it again.
      writeFileSync(
        source,
        original.replace('return { words: words.length,', 'return { edited: true, words: words.length,'),
      );
      const again = await cli(['run', 'count-words', '--from', '1', '--to', '6', '--wait']);
      expect(again).toMatchObject({ status: 'SUCCEEDED' });
      expect(await outputsOf(ready.env, 'count-words')).toContainEqual({
        id: 2,
        output: { edited: true, words: 9, longest: 'quick' },
      });

      const unknown = await batchkeeper([
        'jobs',
        'create',
        'x',
        '--dataset',
        'texts',
        '--processor',
        'nope',
        ...on,
      ]);
      expect(unknown.code).toBe(1);
      expect(unknown.stderr).toContain('no processor named nope (known: word-count)');
    } finally {
      writeFileSync(source, original);
      await stop(up);
    }
  });

  it('synthesizes the CDK app with the processor in ProcessBatch, and refuses a processor the module lacks', async () => {
    const out = join(work, `cdk.out-${node.length}-${Date.now()}`);
    const cdk = join(project, 'node_modules', 'aws-cdk', 'bin', 'cdk');
    await must(node, [cdk, 'synth', '--quiet', '--output', out], project, node);
    const template = JSON.parse(readFileSync(join(out, 'Batchkeeper.template.json'), 'utf8')) as {
      Resources: Record<string, { Type: string; Properties: { Code?: { S3Key?: string } } }>;
    };
    const processBatch = Object.entries(template.Resources).find(
      ([id, r]) => r.Type === 'AWS::Lambda::Function' && id.includes('ProcessBatch'),
    );
    const asset = processBatch?.[1].Properties.Code?.S3Key?.replace(/\.zip$/, '') ?? '';
    const bundle = readFileSync(join(out, `asset.${asset}`, 'index.mjs'), 'utf8');
    expect(bundle).toContain('word-count');
    // The other handlers run no processor and do not carry the user's module.
    const others = readdirSync(out).filter((d) => d.startsWith('asset.') && d !== `asset.${asset}`);
    expect(others.length).toBe(Object.keys(FUNCTIONS).length - 1);
    for (const dir of others)
      expect(readFileSync(join(out, dir, 'index.mjs'), 'utf8')).not.toContain('word-count');

    const missing = await run(
      node,
      [
        cdk,
        'synth',
        '--quiet',
        '--output',
        `${out}-missing`,
        '-c',
        'batchkeeper={"processors":[{"name":"thumbnails","size":"large"}]}',
      ],
      project,
      node,
    );
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(
      'batchkeeper.processors.0.name: names thumbnails, which src/processors.ts does not export (it exports: word-count)',
    );
    expect(missing.stderr).not.toMatch(/\n\s+at /);
  });
});

/** Every line of the job's committed output objects, read from the local S3 as any SDK user would. */
async function outputsOf(env: Record<string, string>, jobId: string): Promise<unknown[]> {
  const s3 = new S3Client({
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    credentials: {
      accessKeyId: env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });
  try {
    const object = await s3.send(
      new GetObjectCommand({
        Bucket: LOCAL_NAMES.workBucket,
        Key: outputKeyOf(jobId, { kind: 'inventory' }, { start: 1, end: 6 }),
      }),
    );
    const text = (await object.Body?.transformToString()) ?? '';
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
  } finally {
    s3.destroy();
  }
}

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d));
    child.stdout?.on('data', (d: Buffer) => {
      text += d;
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    child.once('close', (code) =>
      reject(new Error(`local up exited ${code} before it was ready: ${text}${err}`)),
    );
  });
}

/** SIGTERM, as Ctrl-C would, and wait: the local mode stops every engine it started. */
async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  child.kill('SIGTERM');
  await closed;
}
