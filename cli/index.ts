/** `batchkeeper/cli`: the command line, run in-process (the same as the `batchkeeper` binary, without exiting). */
export { main } from './commands/main.ts';
