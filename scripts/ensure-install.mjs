#!/usr/bin/env node
// Runs before `npm test` and `npm run demo`: installs node_modules when they are missing or older than the
// lock file, and checks the two engines npm cannot install (a JDK for DynamoDB Local, moto for S3, Secrets
// Manager and KMS). Plain Node, no dependencies: it must work before `npm install` has run. Under a second when all
// is in place: the checks run in parallel and Python only looks modules up, it imports none.
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const MOTO_MODULES = ['moto', 'flask', 'flask_cors', 'werkzeug'];
const MOTO_PROBE = `import importlib.util as u, sys
missing = [m for m in ${JSON.stringify(MOTO_MODULES)} if u.find_spec(m) is None]
print(' '.join(missing))
sys.exit(1 if missing else 0)`;

function installIfStale() {
  const lock = join(root, 'package-lock.json');
  const installed = join(root, 'node_modules', '.package-lock.json');
  const stale =
    !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs);
  if (!stale) return;
  // A fresh clone installs exactly the committed lock (`npm ci`); a lock newer than node_modules is brought in
  // with `npm install`, which leaves a lock in sync with package.json as it is.
  const fresh = !existsSync(join(root, 'node_modules'));
  const command = fresh ? 'ci' : 'install';
  console.log(`ensure-install: node_modules missing or older than package-lock.json: running npm ${command}`);
  const npm = spawnSync('npm', [command, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (npm.status !== 0) {
    console.error('ensure-install: npm install failed');
    process.exit(npm.status ?? 1);
  }
}

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return true;
    } catch {
      // not here
    }
  }
  return false;
}

/** Resolves with { ok, output } and never rejects: a missing program is just a failed check. */
function run(command, args) {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.once('error', (error) => resolve({ ok: false, output: error.message }));
    child.once('close', (code) => resolve({ ok: code === 0, output: output.trim() }));
  });
}

async function checkJava() {
  const problems = [];
  // javac is only looked up: starting a second JVM would cost a third of the time budget.
  if (!(await run('java', ['-version'])).ok) problems.push('java (DynamoDB Local runs on it)');
  if (!onPath('javac')) problems.push('javac (compiles the launcher that binds DynamoDB Local to 127.0.0.1)');
  if (problems.length === 0) return [];
  return [
    `missing ${problems.join(' and ')}.\n  Install a JDK 17, e.g. \`sudo apt-get install openjdk-17-jdk-headless\` ` +
      '(Debian/Ubuntu) or `brew install openjdk@17` (macOS).',
  ];
}

const MOTO_HINT =
  'Install it with `python3 -m pip install "moto[server]"`, or where pip refuses (an externally managed\n' +
  '  Python) with `pipx install "moto[server]"`, which puts moto_server on PATH.';

async function checkMoto() {
  const hasPython = onPath('python3');
  let probe = hasPython ? await run('python3', ['-c', MOTO_PROBE]) : { ok: false, output: '' };
  if (probe.ok) return [];
  // A moto_server of its own (pipx, a virtualenv on PATH) serves as well as python3's modules.
  if (onPath('moto_server') && (await run('moto_server', ['--help'])).ok) return [];
  if (hasPython) {
    console.log(
      `ensure-install: python3 lacks ${probe.output || 'moto'}: trying python3 -m pip install "moto[server]"`,
    );
    spawnSync('python3', ['-m', 'pip', 'install', 'moto[server]'], { stdio: 'inherit' });
    probe = await run('python3', ['-c', MOTO_PROBE]);
    if (probe.ok) return [];
  }
  const what = hasPython
    ? `python3 cannot find ${probe.output || 'moto'}`
    : 'missing python3 and moto_server';
  return [`${what} (moto serves S3, Secrets Manager and KMS locally).\n  ${MOTO_HINT}`];
}

installIfStale();
const problems = (await Promise.all([checkJava(), checkMoto()])).flat();
if (problems.length > 0) {
  console.error(`ensure-install: the local engines cannot run:\n- ${problems.join('\n- ')}`);
  process.exit(1);
}
