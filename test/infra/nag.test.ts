import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { build, TEST_CONFIG } from './support.ts';

interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded with Validations.of(x).acknowledge in the tree. */
function acknowledgements(root: IConstruct): Acknowledgement[] {
  const out: Acknowledgement[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        // aws-cdk-lib's own, for its built-in template validation (a Vpc's zones), not a cdk-nag finding.
        if (id.startsWith('CloudFormation-Validate::')) continue;
        out.push({ path: construct.node.path, id: id.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return out;
}

/** The findings cdk-nag reports when nothing is acknowledged (the pack's private check, switched off). */
function rawFindings(root: IConstruct): { ruleName: string; paths: string[] }[] {
  const pack = new AwsSolutionsChecks();
  (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
  return pack.validateScope(root).violations.map((v) => ({
    ruleName: v.ruleName,
    paths: v.violatingResources.map((r) => r.constructPath ?? ''),
  }));
}

const describeFindings = (
  violations: { ruleName: string; violatingResources: { constructPath?: string }[] }[],
) =>
  violations
    .map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)
    .join('\n');

describe('cdk-nag AwsSolutions', () => {
  const { stack } = build();

  it('reports no unacknowledged finding', () => {
    const report = new AwsSolutionsChecks().validateScope(stack);
    expect(describeFindings(report.violations)).toBe('');
    expect(report.success).toBe(true);
  });

  it('reports none either for the default deployment (no secrets, no schedules)', () => {
    const bare = build({ processors: TEST_CONFIG.processors });
    expect(describeFindings(new AwsSolutionsChecks().validateScope(bare.stack).violations)).toBe('');
  });

  it('acknowledges only findings that exist, each by its exact id and with a reason', () => {
    expectOnlyUsedAcknowledgements(stack);
  });

  it('reports none and acknowledges only what exists with container flavors, their network and cluster', () => {
    const containers = build({
      ...TEST_CONFIG,
      containers: {
        flavors: ['fargate-small', 'fargate-large'],
        image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-batches:v1' },
      },
    });
    expect(describeFindings(new AwsSolutionsChecks().validateScope(containers.stack).violations)).toBe('');
    expectOnlyUsedAcknowledgements(containers.stack);
  });
});

function expectOnlyUsedAcknowledgements(root: IConstruct): void {
  const raw = rawFindings(root);
  const acks = acknowledgements(root);
  expect(acks.length).toBeGreaterThan(0);
  for (const ack of acks) {
    expect(ack.id).toMatch(/^AwsSolutions-[A-Z0-9]+(\[.+\])?$/);
    if (ack.id.startsWith('AwsSolutions-IAM5'))
      expect(ack.id, 'IAM5 needs its bracketed finding').toContain('[');
    expect(ack.reason.length, `${ack.id} on ${ack.path} needs a real reason`).toBeGreaterThan(40);
    const used = raw.some(
      (f) => f.ruleName === ack.id && f.paths.some((p) => p === ack.path || p.startsWith(`${ack.path}/`)),
    );
    expect(used, `${ack.id} on ${ack.path} acknowledges nothing`).toBe(true);
  }
}
