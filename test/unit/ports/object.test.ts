import { describeObjectContract } from '../../support/contracts/object-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeObjectContract('in-memory fakes', fakeEnv);
