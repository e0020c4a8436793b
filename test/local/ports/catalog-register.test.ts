import { describeCatalogRegisterContract } from '../../support/contracts/catalog-register-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeCatalogRegisterContract('DynamoDB Local', adaptersEnv);
