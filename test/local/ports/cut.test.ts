import { describeCutContract } from '../../support/contracts/cut-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeCutContract('DynamoDB Local', adaptersEnv);
