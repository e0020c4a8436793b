/**
 * `batchkeeper/local`: the local mode for a user's own tests and scripts: DynamoDB Local, a local S3, moto and
 * the Step Functions interpreter running the same state machine with the same handlers, on 127.0.0.1.
 */
export { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../core/adapters/clients.ts';
export {
  createLocalSecret,
  envFor,
  LOCAL_NAMES,
  type LocalMode,
  type LocalOptions,
  type LocalState,
  readLocalState,
  startLocal,
} from './local-up.ts';
