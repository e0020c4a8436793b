import type { ContractEnv } from '../../support/contracts/contract-env.ts';
import { coreEnv } from '../../support/core-env.ts';

/** Fresh tables and buckets on the local engines, and the real adapters over them: where a contract is checked. */
export async function adaptersEnv(label: string): Promise<ContractEnv> {
  const e = await coreEnv(label);
  return { deps: e.deps, clock: e.clock };
}
