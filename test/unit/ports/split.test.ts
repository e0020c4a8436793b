import { describeSplitContract } from '../../support/contracts/split-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeSplitContract('in-memory fakes', fakeEnv);
