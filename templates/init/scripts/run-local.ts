import { main } from 'batchkeeper/cli';
import { startLocal } from 'batchkeeper/local';

// Runs the sample end to end on this machine: the local mode (DynamoDB Local, S3, moto, the Step Functions
// interpreter), the data set in data/, a job with your processor, one run to completion. Run it again: an
// incremental run finds nothing new until you add lines to data/; a changed config or processor version is
// taken over by the job (jobs update-config), and the run redoes nothing by itself: `run --from 1 --to N`
// processes a range again.

// The AWS SDK's notice about the Node versions of its future releases would be repeated on every client.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const dataDir = '.local';
const config = '{"minLength":3}';
const on = ['--local', '--data-dir', dataDir];

/** One command line, as `npx batchkeeper ...` would run it; its exit code. */
async function batchkeeper(...argv: string[]): Promise<number> {
  console.log(`\n$ batchkeeper ${argv.join(' ')}`);
  return main([...argv, ...on]);
}

const local = await startLocal({ dataDir, logLevel: 'WARN' });
try {
  const steps = [
    () => batchkeeper('datasets', 'register', 'texts', 'data'),
    async () =>
      (await batchkeeper('jobs', 'show', 'count-words')) === 0
        ? batchkeeper('jobs', 'update-config', 'count-words', '--config', config)
        : batchkeeper(
            'jobs',
            'create',
            'count-words',
            '--dataset',
            'texts',
            '--processor',
            'word-count',
            '--config',
            config,
          ),
    () => batchkeeper('run', 'count-words', '--wait'),
    () => batchkeeper('exceptions', 'list', 'count-words'),
  ];
  for (const step of steps) {
    const code = await step();
    if (code !== 0) {
      process.exitCode = code;
      break;
    }
  }
} finally {
  await local.stop();
}
