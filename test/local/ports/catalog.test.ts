import { describeCatalogContract } from '../../support/contracts/catalog-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeCatalogContract('DynamoDB Local', adaptersEnv);
