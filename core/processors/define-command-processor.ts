import { z } from 'zod';
import { ValidationError } from '../errors.ts';
import { toViolations } from '../validation.ts';
import { CommandOptions, type CommandSpec } from './command-spec.ts';
import { defineProcessor, type Processor, type WorkerSize } from './define-processor.ts';

/** What a user writes for a processor that is a program in any language (docs/command-processors.md). */
export interface CommandProcessorDefinition<CS extends z.ZodType, IS extends z.ZodType> {
  /** The name jobs refer to. */
  readonly name: string;
  readonly version: string;
  /** Validates a job's config, which the command reads from the descriptor: JSON data only. */
  readonly configSchema: CS;
  /**
   * Items that fail it are set aside as `invalid-item` exceptions and never reach the command.
   * @default z.unknown() (every item is staged as it is)
   */
  readonly itemSchema?: IS;
  /** The program and its arguments, run without a shell, e.g. `['python3', 'main.py']`. */
  readonly command: readonly string[];
  /**
   * Where the command runs, absolute or relative to the runner's working directory (the project root in the
   * local mode, the image's WORKDIR in a container). @default the batch's work folder
   */
  readonly cwd?: string;
  /** Variables added to the command's environment; not secrets, and no `BATCHKEEPER_*` names. */
  readonly env?: Readonly<Record<string, string>>;
  /** @default 'small' */
  readonly workerSize?: WorkerSize;
  /** `file`: the data set's secret is written to a file (mode 0600) whose path is in the descriptor. @default 'none' */
  readonly secret?: 'file' | 'none';
  /** The command is killed after this long and the attempt fails. @default 15 minutes */
  readonly timeoutMs?: number;
}

/**
 * Declares a processor that runs a command over each batch: the runner stages the batch's items in a work
 * folder, writes a descriptor, runs the command, then reads its outputs and exceptions and commits them like any
 * processor's. Registered, hashed and run by jobs like every other processor; the command is part of the
 * config hash.
 * @example
 * export const companies = defineCommandProcessor({
 *   name: 'company-records',
 *   version: '1',
 *   configSchema: z.strictObject({ country: z.string().default('HU') }),
 *   command: ['python3', 'main.py'],
 *   cwd: 'examples/python-command',
 * });
 */
export function defineCommandProcessor<CS extends z.ZodType, IS extends z.ZodType = z.ZodUnknown>(
  def: CommandProcessorDefinition<CS, IS>,
): Processor<z.output<CS>, z.output<IS>, unknown, undefined> {
  const spec = commandSpecOf(def);
  const processor = defineProcessor({
    name: def.name,
    version: def.version,
    configSchema: def.configSchema,
    itemSchema: (def.itemSchema ?? z.unknown()) as IS,
    workerSize: def.workerSize,
    processItem: () => {
      throw new ValidationError(
        [
          {
            field: 'processor',
            rule: `${def.name} is a command processor: its command runs in ProcessBatch`,
          },
        ],
        { what: 'processor call' },
      );
    },
  });
  Object.defineProperty(processor, 'command', { value: spec, enumerable: true });
  return processor;
}

/** Whether a processor runs a command (defineCommandProcessor) rather than hooks in this process. */
export const isCommandProcessor = (p: { readonly command?: CommandSpec }): boolean => p.command !== undefined;

function commandSpecOf(def: CommandProcessorDefinition<z.ZodType, z.ZodType>): CommandSpec {
  const result = CommandOptions.safeParse({
    command: def.command,
    cwd: def.cwd,
    env: def.env,
    secret: def.secret,
    timeoutMs: def.timeoutMs,
  });
  if (!result.success)
    throw new ValidationError(toViolations(result.error), {
      cause: result.error,
      what: `command processor ${def.name}`,
    });
  const { command, ...rest } = result.data;
  return { argv: command, ...rest };
}
