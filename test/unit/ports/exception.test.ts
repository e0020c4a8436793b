import { describeExceptionContract } from '../../support/contracts/exception-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeExceptionContract('in-memory fakes', fakeEnv);
