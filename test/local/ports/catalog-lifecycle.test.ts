import { describeCatalogLifecycleContract } from '../../support/contracts/catalog-lifecycle-contract.ts';
import { adaptersEnv } from './adapters-env.ts';

describeCatalogLifecycleContract('DynamoDB Local', adaptersEnv);
