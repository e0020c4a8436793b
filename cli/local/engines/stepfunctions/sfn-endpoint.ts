import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalServiceError, SfnApiError } from '../errors.ts';
import { type Body, OPERATIONS } from './sfn-api.ts';
import type { LocalStepFunctions } from './sfn-runner.ts';

/**
 * The Step Functions API of the local engine on 127.0.0.1, in the AWS JSON 1.0 protocol (POST /,
 * `X-Amz-Target: AWSStepFunctions.<Operation>`), so that the AWS SDK, the AWS CLI and the batchkeeper CLI start
 * and watch local executions exactly as they do on AWS. Errors answer HTTP 400 with `__type`, which the SDK turns
 * into its typed exceptions (ExecutionDoesNotExist, InvalidArn, ...).
 */

export interface SfnEndpoint {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const HOST = '127.0.0.1';
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * Listen on 127.0.0.1 (`port` 0 or absent: a free port). Requests wait for `api`, so the endpoint can listen
 * before the engine behind it is wired (its URL goes into the clients the engine's handlers use).
 * @example const endpoint = await startSfnEndpoint({ api: engine }); new SFNClient({ endpoint: endpoint.url });
 */
export function startSfnEndpoint(options: {
  api: LocalStepFunctions | Promise<LocalStepFunctions>;
  port?: number;
}): Promise<SfnEndpoint> {
  const api = Promise.resolve(options.api);
  // A wiring failure is the starter's to report; requests then answer InternalFailure.
  api.catch(() => undefined);
  const server = createServer((req, res) => void serve(req, res, api));
  return new Promise((resolve, reject) => {
    server.once('error', (error) =>
      reject(
        new LocalServiceError(
          `the Step Functions endpoint cannot listen: ${error.message}`,
          { service: 'sfn', port: options.port },
          { cause: error },
        ),
      ),
    );
    server.listen(options.port ?? 0, HOST, () => {
      const { port } = server.address() as AddressInfo;
      const close = () =>
        new Promise<void>((done) => {
          server.close(() => done());
          server.closeAllConnections();
        });
      resolve({ url: `http://${HOST}:${port}`, port, close });
    });
  });
}

async function serve(
  req: IncomingMessage,
  res: ServerResponse,
  api: Promise<LocalStepFunctions>,
): Promise<void> {
  const requestId = randomUUID();
  try {
    const target = String(req.headers['x-amz-target'] ?? '');
    const name = target.startsWith('AWSStepFunctions.') ? target.slice('AWSStepFunctions.'.length) : '';
    const operation = req.method === 'POST' && Object.hasOwn(OPERATIONS, name) ? OPERATIONS[name] : undefined;
    if (!operation)
      throw new SfnApiError(
        'UnknownOperationException',
        `unknown operation ${target || '(no X-Amz-Target header)'}`,
      );
    const body = await readBody(req);
    send(res, requestId, 200, await operation(await api, body));
  } catch (error) {
    const known = error instanceof SfnApiError;
    const type = known ? error.type : 'InternalFailure';
    send(
      res,
      requestId,
      known ? 400 : 500,
      { __type: type, message: (error as Error)?.message ?? String(error) },
      type,
    );
  }
}

function send(res: ServerResponse, requestId: string, status: number, body: Body, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
    ...(errorType === undefined ? {} : { 'x-amzn-errortype': errorType }),
  });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<Body> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new SfnApiError('ValidationException', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) return parsed as Body;
  } catch {
    // answered below
  }
  throw new SfnApiError('SerializationException', 'the request body is not a JSON object');
}
