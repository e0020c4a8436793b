import { describeCutContract } from '../../support/contracts/cut-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeCutContract('in-memory fakes', fakeEnv);
