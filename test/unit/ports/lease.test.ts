import { describeLeaseContract } from '../../support/contracts/lease-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeLeaseContract('in-memory fakes', fakeEnv);
