import { backendOf } from '../../console/api/backend.ts';
import { startConsole } from '../../console/server.ts';
import { jsonLine } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { IntFlag } from './flags.ts';

/** Resolves when the process is asked to stop (Ctrl+C, or a supervisor's SIGTERM). */
const untilStopped = () =>
  new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

export const consoleCommand = defineCommand({
  words: ['console'],
  usage: '[--port N]',
  summary:
    'serve the web console on 127.0.0.1 (jobs, range maps, runs, exceptions) until Ctrl+C; open the URL it prints',
  positionals: [],
  flags: { port: { type: 'string', help: '--port N  listen on this port (default: a free one)' } },
  schema: targetArgs({ port: IntFlag(65_535).optional() }),
  needsTarget: true,
  async run(a, ctx) {
    const target = await ctx.target();
    const server = await startConsole({ backend: backendOf(target), port: a.port });
    const where = target.kind === 'local' ? 'the local mode' : `AWS (${target.region})`;
    ctx.io.out(
      ctx.json
        ? jsonLine({ url: server.url, port: server.port, token: server.token, target: target.kind })
        : `batchkeeper console on ${where}:\n\n    ${server.url}\n\nOpen the URL above (it carries the access token). Ctrl+C stops the console.\n`,
    );
    await untilStopped();
    await server.close();
    return { json: undefined, text: '' };
  },
});
