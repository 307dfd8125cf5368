/**
 * What the real-AWS acceptance suite needs: a deployed stage, users' ID tokens and the BI role. Read once;
 * a missing variable fails the whole run at once with the list of every variable and what it is for.
 */

/** Every variable the suite reads, with what to put in it. */
export const AWS_SUITE_VARIABLES = [
  { name: 'KURA_AWS_STAGE', what: 'the deployed stage to check, e.g. dev (never prod)' },
  {
    name: 'KURA_API_URL',
    what: 'the API base URL (stack output ApiUrl), e.g. https://abc.execute-api.ap-northeast-1.amazonaws.com',
  },
  {
    name: 'KURA_ID_TOKEN',
    what: "a Cognito ID token of a tenant member (uploads); e.g. from 'aws cognito-idp initiate-auth'",
  },
  {
    name: 'KURA_ADMIN_ID_TOKEN',
    what: 'a Cognito ID token of a platform administrator (tenants, purge, certificates)',
  },
  { name: 'KURA_BI_ROLE_ARN', what: 'the BI role the suite assumes to read statistics (analytics stack)' },
  {
    name: 'KURA_DATA_KEY_ARN',
    what: 'ARN of the platform data KMS key: the data buckets refuse writes with any other key (storage stack)',
  },
  {
    name: 'AWS_REGION',
    what: 'ap-northeast-1 or ap-northeast-3 (credentials come from the standard AWS chain)',
  },
] as const;

export class MissingAwsSuiteEnvironmentError extends Error {
  override readonly name = 'MissingAwsSuiteEnvironmentError';
}

export interface AwsSuiteEnv {
  readonly stage: string;
  readonly apiUrl: string;
  readonly tenantToken: string;
  readonly adminToken: string;
  readonly biRoleArn: string;
  readonly region: string;
  /** KMS key the data buckets require for writes. */
  readonly dataKeyArn: string;
}

/** The suite's settings; throws naming every missing variable (and the ones set wrongly). */
export function awsSuiteEnv(env: NodeJS.ProcessEnv = process.env): AwsSuiteEnv {
  const value = (name: string) =>
    env[name]?.trim() || (name === 'AWS_REGION' ? env.AWS_DEFAULT_REGION?.trim() : '');
  const missing = AWS_SUITE_VARIABLES.filter(({ name }) => !value(name));
  const problems: string[] = missing.map(({ name, what }) => `  ${name}: ${what}`);
  const region = value('AWS_REGION') ?? '';
  if (region && !['ap-northeast-1', 'ap-northeast-3'].includes(region)) {
    problems.push(`  AWS_REGION is ${region}: Kura runs only in ap-northeast-1 or ap-northeast-3`);
  }
  if (value('KURA_AWS_STAGE') === 'prod') {
    problems.push(
      '  KURA_AWS_STAGE is prod: the suite writes and purges test tenants; run it against dev or test',
    );
  }
  if (problems.length > 0) {
    throw new MissingAwsSuiteEnvironmentError(
      [
        'npm run test:aws checks a deployed Kura stage and needs these environment variables:',
        ...problems,
        'AWS credentials come from the standard chain (AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY/AWS_SESSION_TOKEN, SSO).',
        'See README ("Acceptance tests on AWS") and docs/OPERATIONS.md.',
      ].join('\n'),
    );
  }
  return {
    stage: value('KURA_AWS_STAGE') as string,
    apiUrl: (value('KURA_API_URL') as string).replace(/\/$/, ''),
    tenantToken: value('KURA_ID_TOKEN') as string,
    adminToken: value('KURA_ADMIN_ID_TOKEN') as string,
    biRoleArn: value('KURA_BI_ROLE_ARN') as string,
    region,
    dataKeyArn: value('KURA_DATA_KEY_ARN') as string,
  };
}
