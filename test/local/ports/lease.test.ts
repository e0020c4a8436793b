import { describeLeaseContract } from '../../support/contracts/lease-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeLeaseContract('DynamoDB Local', adaptersEnv);
