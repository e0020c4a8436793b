import { describeBatchContract } from '../../support/contracts/batch-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeBatchContract('DynamoDB Local', adaptersEnv);
