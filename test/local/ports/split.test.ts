import { describeSplitContract } from '../../support/contracts/split-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeSplitContract('DynamoDB Local', adaptersEnv);
