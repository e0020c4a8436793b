import { describeAttemptContract } from '../../support/contracts/attempt-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeAttemptContract('DynamoDB Local', adaptersEnv);
