import { describeCatalogLifecycleContract } from '../../support/contracts/catalog-lifecycle-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeCatalogLifecycleContract('in-memory fakes', fakeEnv);
