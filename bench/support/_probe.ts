import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { localStack } from './local-stack.ts';

const stack = await localStack('probe');
try {
  const doc = stack.clients.doc;
  const T = stack.tables.inventory;
  for (const n of [1, 2, 5, 20, 40]) {
    const out = await doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: n }, (_, i) => ({ Put: { TableName: T, Item: { pk: `p${n}`, sk: `s${i}`, openPk: 'x', openSk: String(i) } } })), ReturnConsumedCapacity: 'INDEXES' }));
    console.log(n, JSON.stringify(out.ConsumedCapacity));
    const out2 = await doc.send(new TransactWriteCommand({ TransactItems: Array.from({ length: n }, (_, i) => ({ Put: { TableName: T, Item: { pk: `q${n}`, sk: `s${i}`, x: 'y' } } })), ReturnConsumedCapacity: 'TOTAL' }));
    console.log(n, 'nogsi', JSON.stringify(out2.ConsumedCapacity));
  }
} finally {
  await stack.stop();
}
