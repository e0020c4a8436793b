import { describeExceptionContract } from '../../support/contracts/exception-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeExceptionContract('DynamoDB Local', adaptersEnv);
