/**
 * The errors of the local AWS engines. They follow the project's habit (a name, a context naming what was being
 * done, a `cause`), but the engines depend on nothing outside this room, so the base class is their own.
 */

/** Base class: carries a context object that names what was being done. */
export abstract class EngineError extends Error {
  readonly context: Readonly<Record<string, unknown>>;
  constructor(message: string, context: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
  }
}

/**
 * A local engine (DynamoDB Local, moto, s3rver, the Step Functions engine, a compiler) could not be started,
 * reached or stopped, or was given something it cannot run. The context names the `service`.
 * @example throw new LocalServiceError('moto reset answered 500', { service: 'moto', endpoint });
 */
export class LocalServiceError extends EngineError {}

/**
 * A Step Functions API error as AWS reports it: `type` is the `__type` the SDK maps to an exception class.
 * @example throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
 */
export class SfnApiError extends EngineError {
  readonly type: string;
  constructor(type: string, message: string) {
    super(message, { type });
    this.type = type;
  }
}
