import { describeJobContract } from '../../support/contracts/job-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeJobContract('in-memory fakes', fakeEnv);
