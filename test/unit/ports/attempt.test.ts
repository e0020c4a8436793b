import { describeAttemptContract } from '../../support/contracts/attempt-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeAttemptContract('in-memory fakes', fakeEnv);
