import { describeCommitContract } from '../../support/contracts/commit-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeCommitContract('DynamoDB Local', adaptersEnv);
