#!/usr/bin/env node
// Builds the package into dist/: tsc compiles core, functions, infra, cli and project to ESM JavaScript with
// .d.ts beside it (the layout of the repository, so that every path a module computes from import.meta.url
// holds in both), then the files tsc does not emit are copied, the console's page is bundled, and the CLI gets
// its node shebang.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const dist = join(root, 'dist');

rmSync(dist, { recursive: true, force: true });
const tsc = spawnSync(
  process.execPath,
  [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
  {
    cwd: root,
    // stderr only: `npm pack --json` prints its document on stdout, after this script.
    stdio: ['ignore', 2, 2],
  },
);
if (tsc.status !== 0) process.exit(tsc.status ?? 1);

const ASSETS = ['statemachines', 'cli/local/engines/dynamodb-local/BatchkeeperDynamoDbLocal.java'];
for (const asset of ASSETS) cpSync(join(root, asset), join(dist, asset), { recursive: true });

// The console's page: its TypeScript bundled into one script beside the compiled server, and its style sheet.
const { bundleApp } = await import(pathToFileURL(join(dist, 'console/assets.js')).href);
cpSync(join(root, 'console/app/style.css'), join(dist, 'console/app/style.css'));
await bundleApp(join(dist, 'console/app/app.js'), join(root, 'console/app'));

const bin = join(dist, 'cli/bin.js');
const [, ...rest] = readFileSync(bin, 'utf8').split('\n');
writeFileSync(bin, ['#!/usr/bin/env node', ...rest].join('\n'));
chmodSync(bin, 0o755);
console.error(`build: ${dist}`);
