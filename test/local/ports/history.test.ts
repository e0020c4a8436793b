import { describeHistoryContract } from '../../support/contracts/history-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeHistoryContract('DynamoDB Local', adaptersEnv);
