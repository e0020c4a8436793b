import { describeCommitContract } from '../../support/contracts/commit-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeCommitContract('in-memory fakes', fakeEnv);
