import { describeEventLogContract } from '../../support/contracts/event-log-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeEventLogContract('in-memory fakes', fakeEnv);
