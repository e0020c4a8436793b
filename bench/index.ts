import { bookkeepingBench } from './bookkeeping.ts';
import { claimsBench } from './claims.ts';
import { consoleRangeMapBench } from './console-range-map.ts';
import { costBench } from './cost.ts';
import { e2eBench } from './e2e.ts';
import { exceptionsReviewBench } from './exceptions-review.ts';
import { inventoryBench } from './inventory.ts';

/** `npm run bench -- NAME...` runs the named benchmarks (all when none is named). Figures only, never pass/fail. */
const benches: Record<string, () => Promise<string>> = {
  inventory: inventoryBench,
  bookkeeping: bookkeepingBench,
  claims: claimsBench,
  cost: costBench,
  e2e: e2eBench,
  'exceptions-review': exceptionsReviewBench,
  'console-range-map': consoleRangeMapBench,
};

const names = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const unknown = names.filter((n) => !benches[n]);
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${Object.keys(benches).join(', ')}`);
  process.exit(2);
}
const lines: string[] = [];
for (const name of names.length > 0 ? names : Object.keys(benches)) {
  console.log(`== ${name}`);
  lines.push(await (benches[name] as () => Promise<string>)());
}
for (const line of lines) console.log(line);
process.exit(0);
