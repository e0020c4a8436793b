import { describeEventLogContract } from '../../support/contracts/event-log-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeEventLogContract('DynamoDB Local', adaptersEnv);
