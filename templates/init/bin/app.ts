import { synthProject } from 'batchkeeper/cdk';

// The CDK app (cdk.json): one batchkeeper stack whose ProcessBatch carries the processors of
// package.json's `batchkeeper.processors`. Shape it with the `batchkeeper` context in cdk.json.
await synthProject();
