import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type SynthesizedStage, synthesizeStage } from './support.ts';

let stages: SynthesizedStage[];

beforeAll(() => {
  // prod has a disaster-recovery region, so together the two stages build every stack Kura has.
  stages = [synthesizeStage('dev'), synthesizeStage('prod')];
});

const describeViolations = (stage: SynthesizedStage) =>
  new AwsSolutionsChecks(stage.app)
    .validateScope(stage.app)
    .violations.flatMap((violation) =>
      violation.violatingResources.map((resource) => `${violation.ruleName} at ${resource.constructPath}`),
    );

function acknowledgements(root: IConstruct): Array<{ path: string; id: string; reason: string }> {
  return root.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id,
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('finds no unacknowledged finding in any stack of any stage', () => {
    for (const stage of stages) expect(describeViolations(stage)).toEqual([]);
  });

  it('gives every acknowledgement a reason that explains it', () => {
    const all = stages.flatMap((stage) => acknowledgements(stage.app));
    expect(all.length).toBeGreaterThan(0);
    for (const acknowledgement of all) {
      expect(
        acknowledgement.reason.trim().length,
        `${acknowledgement.id} at ${acknowledgement.path}`,
      ).toBeGreaterThan(30);
    }
  });

  it('acknowledges findings one at a time, never a whole rule with wildcard findings', () => {
    const wholeRules = stages
      .flatMap((stage) => acknowledgements(stage.app))
      .filter((acknowledgement) => /AwsSolutions-IAM5$/.test(acknowledgement.id));
    expect(wholeRules).toEqual([]);
  });
});
