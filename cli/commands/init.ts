import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { BatchkeeperError } from '../../core/errors.ts';
import { scaffold } from '../../project/scaffold.ts';
import { packageInfo } from '../package-info.ts';
import { defineCommand, plainArgs } from './args.ts';

/** `npm install` in the new project failed: the files are there, the install is what to run again. */
export class InstallFailedError extends BatchkeeperError {
  constructor(ctx: { dir: string; status: number | null }) {
    super(
      `npm install failed in ${ctx.dir} (exit ${ctx.status}); the project is written, run npm install there`,
      ctx,
    );
  }
}

/** What the scaffold's package.json pins beside batchkeeper: the versions batchkeeper itself is built with. */
const PINNED = ['@types/node', 'aws-cdk', 'aws-cdk-lib', 'constructs', 'tsx', 'typescript', 'vitest'];

export const initCommand = defineCommand({
  words: ['init'],
  usage: '<dir> [--name NAME] [--batchkeeper SPEC] [--skip-install]',
  summary: 'scaffold a project of your own: a sample processor, its test, a CDK app and a local run',
  positionals: ['dir'],
  flags: {
    name: { type: 'string', help: "--name NAME  the project's npm name (default: the folder's name)" },
    batchkeeper: {
      type: 'string',
      help: '--batchkeeper SPEC  how the project depends on batchkeeper (default ^<this version>; a tarball path works)',
    },
    'skip-install': { type: 'boolean', help: '--skip-install  write the files only, do not run npm install' },
  },
  schema: plainArgs({
    dir: z.string().min(1, { error: 'must not be empty' }),
    name: z.string().min(1).optional(),
    batchkeeper: z.string().min(1).optional(),
    'skip-install': z.boolean().optional(),
  }),
  needsTarget: false,
  async run(a, ctx) {
    const info = packageInfo();
    const pinned = { ...info.peerDependencies, ...info.devDependencies };
    const values: Record<string, string> = { batchkeeper: a.batchkeeper ?? `^${info.version}` };
    for (const dep of PINNED) values[dep] = pinned[dep] ?? 'latest';
    const dir = resolve(a.dir);
    const files = scaffold({ dir, templates: join(info.root, 'templates', 'init'), name: a.name, values });
    const install = a['skip-install'] !== true;
    if (install) {
      ctx.io.err(`npm install in ${dir}\n`);
      const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
        cwd: dir,
        stdio: ['ignore', 2, 2],
      });
      if (npm.status !== 0) throw new InstallFailedError({ dir, status: npm.status });
    }
    const next = install ? ['npm run local', 'npm test'] : ['npm install', 'npm run local', 'npm test'];
    return {
      json: { dir, files, installed: install },
      text:
        `created ${dir}\n${files.map((f) => `  ${f}\n`).join('')}\n` +
        `next:\n  cd ${a.dir}\n${next.map((c) => `  ${c}\n`).join('')}`,
    };
  },
});
