import { describeCatalogRegisterContract } from '../../support/contracts/catalog-register-contract.ts';
import { fakeEnv } from '../../support/fakes/fake-deps.ts';

describeCatalogRegisterContract('in-memory fakes', fakeEnv);
