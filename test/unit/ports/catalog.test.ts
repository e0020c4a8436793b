import { describeCatalogContract } from '../../support/contracts/catalog-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeCatalogContract('in-memory fakes', fakeEnv);
