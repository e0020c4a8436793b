import { describeObjectContract } from '../../support/contracts/object-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeObjectContract('moto S3', adaptersEnv);
