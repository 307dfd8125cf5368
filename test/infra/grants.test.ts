import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import { functionEnvVar } from '../../functions/adapters/resource-env-vars.ts';
import { loadStageConfig } from '../../infra/config.ts';
import {
  bucketKeyEnvVar,
  grantBucket,
  grantJobStart,
  grantKeySecrets,
} from '../../infra/constructs/grants.ts';
import { KuraFunction } from '../../infra/constructs/kura-function.ts';
import { SecureBucket } from '../../infra/constructs/secure-bucket.ts';
import { allows, type CfnJson, cdkContext, functionOf, rolePolicyOf } from './support.ts';

let template: Template;
let purger: CfnJson;
let purgePolicy: CfnJson;
let caller: CfnJson;
let callerPolicy: CfnJson;
const bucketArn = 'arn:aws:s3:::kura-test-raw-000000000000-ap-northeast-1';

beforeAll(() => {
  const config = loadStageConfig(cdkContext['kura:stages'], 'dev');
  const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'GrantProbe', { env: { account: config.account, region: config.region } });
  const key = new kms.Key(stack, 'Key', { enableKeyRotation: true });
  const bucket = new SecureBucket(stack, 'Raw', {
    bucketName: 'kura-test-raw-000000000000-ap-northeast-1',
    encryptionKey: key,
    accessLogsBucket: new s3.Bucket(stack, 'Logs'),
    accessLogsPrefix: 'raw/',
    noncurrentVersionDays: 7,
  });
  const fn = (id: string) =>
    new KuraFunction(stack, id, {
      entry: 'functions/mask/handler.ts',
      serviceName: `kura-${id.toLowerCase()}`,
      description: id,
      config,
    });
  const purgeFn = fn('Purger');
  const callerFn = fn('Caller');
  grantBucket(purgeFn, bucket, 'raw', 'purge', { prefix: 'raw/' });
  grantKeySecrets(purgeFn, 'kura/test/tenant-keys/', key, 'destroy');
  grantJobStart(callerFn, 'test', 'purge');
  template = Template.fromStack(stack);
  purger = functionOf(template, 'Purger');
  purgePolicy = rolePolicyOf(template, 'Purger');
  caller = functionOf(template, 'Caller');
  callerPolicy = rolePolicyOf(template, 'Caller');
});

describe('grant helpers', () => {
  it('lets a purge delete every version under its prefix and list versions only there', () => {
    expect(allows(purgePolicy, 's3:DeleteObjectVersion', `${bucketArn}/raw/*`)).toBe(true);
    expect(allows(purgePolicy, 's3:DeleteObject', `${bucketArn}/raw/*`)).toBe(true);
    expect(
      allows(purgePolicy, 's3:ListBucketVersions', bucketArn, { StringLike: { 's3:prefix': ['raw/*'] } }),
    ).toBe(true);
    expect(allows(purgePolicy, 's3:PutObject', `${bucketArn}/raw/*`)).toBe(false);
  });

  it('sets the bucket name and the key writes must name, together with the grant', () => {
    const env = purger.Properties.Environment.Variables;
    expect(env.KURA_BUCKET_RAW).toBe('kura-test-raw-000000000000-ap-northeast-1');
    expect(env[bucketKeyEnvVar('raw')]).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^Key/), 'Arn'] });
  });

  it('lets a key destroyer delete secrets under the prefix without any KMS use', () => {
    const secrets = 'arn:aws:secretsmanager:ap-northeast-1:000000000000:secret:kura/test/tenant-keys/*';
    expect(allows(purgePolicy, 'secretsmanager:DeleteSecret', secrets)).toBe(true);
    expect(allows(purgePolicy, 'secretsmanager:GetSecretValue', secrets)).toBe(false);
    const kmsViaSecrets = (purgePolicy.Statement as CfnJson[]).filter((statement) =>
      JSON.stringify(statement.Condition ?? {}).includes('secretsmanager.'),
    );
    expect(kmsViaSecrets).toEqual([]);
    expect(purger.Properties.Environment.Variables.KURA_KEY_SECRET_PREFIX).toBe('kura/test/tenant-keys/');
  });

  it("lets a function start exactly one job kind's function, named by its variable", () => {
    const arn = 'arn:aws:lambda:ap-northeast-1:000000000000:function:kura-test-purge';
    expect(caller.Properties.Environment.Variables[functionEnvVar('purge')]).toBe('kura-test-purge');
    expect(allows(callerPolicy, 'lambda:InvokeFunction', arn)).toBe(true);
    const invokes = (callerPolicy.Statement as CfnJson[]).filter((statement) =>
      [statement.Action].flat().includes('lambda:InvokeFunction'),
    );
    expect(invokes.flatMap((statement) => [statement.Resource].flat())).toEqual([arn]);
    expect(functionEnvVar('release')).toBe('KURA_FUNCTION_RELEASE');
  });
});
