import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { bucketName } from '../../infra/naming.ts';
import { type CfnJson, synthesizeStage } from './support.ts';

/**
 * A small evaluator for the Deny statements Kura puts on bucket policies (Bool, NumericLessThan,
 * StringNotEquals, with IAM's rule that a negated operator matches when the key is absent), so the
 * policies are tested by what they do to requests, not only by their shape.
 */
type RequestContext = Readonly<Record<string, unknown>>;
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function conditionMatches(condition: CfnJson | undefined, context: RequestContext): boolean {
  return Object.entries(condition ?? {}).every(([operator, clauses]) =>
    Object.entries(clauses as CfnJson).every(([key, expected]) => {
      const actual = context[key];
      switch (operator) {
        case 'Bool':
          return actual !== undefined && String(actual) === expected;
        case 'NumericLessThan':
          return actual !== undefined && Number(actual) < Number(expected);
        case 'StringNotEquals':
          return actual === undefined || !same(actual, expected);
        default:
          throw new Error(`evaluator does not know ${operator}`);
      }
    }),
  );
}

function isDenied(statements: CfnJson[], action: string, context: RequestContext): boolean {
  return statements.some(
    (statement) =>
      statement.Effect === 'Deny' &&
      (statement.Action === 's3:*' || statement.Action === action || statement.Action?.includes?.(action)) &&
      conditionMatches(statement.Condition, context),
  );
}

let statements: CfnJson[];
let dataKeyArn: CfnJson;
let auditKeyArn: CfnJson;
const secure = { 'aws:SecureTransport': 'true', 's3:TlsVersion': 1.3 };

beforeAll(() => {
  const dev = synthesizeStage('dev');
  const template = Template.fromStack(dev.stacks.storage);
  const buckets = template.findResources('AWS::S3::Bucket') as Record<string, CfnJson>;
  const landingName = bucketName('dev', 'landing', dev.config.account, dev.config.region);
  const [landingId] =
    Object.entries(buckets).find(([, bucket]) => bucket.Properties.BucketName === landingName) ?? [];
  const policy = Object.values(
    template.findResources('AWS::S3::BucketPolicy') as Record<string, CfnJson>,
  ).find((candidate) => candidate.Properties.Bucket.Ref === landingId);
  statements = policy?.Properties.PolicyDocument.Statement ?? [];
  const aliases = Object.values(template.findResources('AWS::KMS::Alias') as Record<string, CfnJson>);
  const keyOf = (alias: string) => ({
    'Fn::GetAtt': [
      aliases.find((a) => a.Properties.AliasName === alias)?.Properties.TargetKeyId['Fn::GetAtt'][0],
      'Arn',
    ],
  });
  dataKeyArn = keyOf('alias/kura-dev-data');
  auditKeyArn = keyOf('alias/kura-dev-audit');
});

describe('landing bucket policy, evaluated', () => {
  it('lets a presigned POST through: it sends SSE-KMS and the platform key as form fields', () => {
    const post = {
      ...secure,
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': dataKeyArn,
    };
    expect(isDenied(statements, 's3:PutObject', post)).toBe(false);
  });

  it('refuses a write that names no encryption', () => {
    expect(isDenied(statements, 's3:PutObject', secure)).toBe(true);
  });

  it('refuses SSE-KMS without a key id, which S3 would encrypt with the AWS-managed key', () => {
    expect(
      isDenied(statements, 's3:PutObject', { ...secure, 's3:x-amz-server-side-encryption': 'aws:kms' }),
    ).toBe(true);
  });

  it('refuses SSE-KMS with another key, and SSE-S3', () => {
    const otherKey = {
      ...secure,
      's3:x-amz-server-side-encryption': 'aws:kms',
      's3:x-amz-server-side-encryption-aws-kms-key-id': auditKeyArn,
    };
    expect(isDenied(statements, 's3:PutObject', otherKey)).toBe(true);
    expect(
      isDenied(statements, 's3:PutObject', { ...secure, 's3:x-amz-server-side-encryption': 'AES256' }),
    ).toBe(true);
  });

  it('refuses any request without TLS or with TLS below 1.2, and lets TLS 1.2 reads through', () => {
    expect(
      isDenied(statements, 's3:GetObject', { 'aws:SecureTransport': 'false', 's3:TlsVersion': 1.2 }),
    ).toBe(true);
    expect(
      isDenied(statements, 's3:GetObject', { 'aws:SecureTransport': 'true', 's3:TlsVersion': 1.1 }),
    ).toBe(true);
    expect(
      isDenied(statements, 's3:GetObject', { 'aws:SecureTransport': 'true', 's3:TlsVersion': 1.2 }),
    ).toBe(false);
  });
});
