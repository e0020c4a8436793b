import { describeBatchContract } from '../../support/contracts/batch-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeBatchContract('in-memory fakes', fakeEnv);
