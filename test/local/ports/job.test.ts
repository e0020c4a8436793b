import { describeJobContract } from '../../support/contracts/job-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeJobContract('DynamoDB Local', adaptersEnv);
