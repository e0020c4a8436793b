import { describeHistoryContract } from '../../support/contracts/history-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeHistoryContract('in-memory fakes', fakeEnv);
