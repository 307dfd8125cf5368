import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as cognito from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';
import { ROLES, TENANT_CLAIM } from '../../functions/domain/auth/principal.ts';

/** Groups that carry a caller's role: exactly the roles the API's principal model knows. */
export const USER_GROUPS = ROLES;
export type UserGroup = (typeof USER_GROUPS)[number];

/** Custom attribute holding a user's tenant; tokens carry it as the `custom:tenant_id` claim the API reads. */
export const TENANT_ID_ATTRIBUTE = TENANT_CLAIM.replace(/^custom:/, '');

/** Properties of {@link KuraUserPool}. */
export interface KuraUserPoolProps {
  readonly stage: string;
  /**
   * Cognito Plus tier with enforced threat protection (compromised credentials, adaptive authentication).
   * @default false
   */
  readonly threatProtection?: boolean;
  /**
   * What happens to the pool (and its users) when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Kura's identities: administrators create every user (no self sign-up), TOTP MFA is required, the
 * password policy is strong, and a user's tenant is an immutable custom attribute, so the tenant in a
 * token can only ever be the one an administrator assigned.
 */
export class KuraUserPool extends Construct {
  readonly userPool: cognito.UserPool;
  readonly client: cognito.UserPoolClient;
  readonly groups: Readonly<Record<UserGroup, cognito.UserPoolGroup>>;

  constructor(scope: Construct, id: string, props: KuraUserPoolProps) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.userPool = new cognito.UserPool(this, 'UserPool', {
      userPoolName: `kura-${props.stage}`,
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      mfa: cognito.Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 14,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: cognito.AccountRecovery.EMAIL_ONLY,
      customAttributes: {
        [TENANT_ID_ATTRIBUTE]: new cognito.StringAttribute({ minLen: 3, maxLen: 63, mutable: false }),
      },
      featurePlan: props.threatProtection ? cognito.FeaturePlan.PLUS : cognito.FeaturePlan.ESSENTIALS,
      standardThreatProtectionMode: props.threatProtection
        ? cognito.StandardThreatProtectionMode.FULL_FUNCTION
        : undefined,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    if (!props.threatProtection) {
      Validations.of(this.userPool).acknowledge({
        id: 'AwsSolutions-COG8',
        reason:
          'Non-production pool: users are created by administrators only and TOTP MFA is required; the Plus tier (threat protection) is enabled in prod.',
      });
    }
    this.groups = Object.fromEntries(
      USER_GROUPS.map((groupName) => [
        groupName,
        new cognito.UserPoolGroup(this, `Group-${groupName}`, {
          userPool: this.userPool,
          groupName,
          description: `Kura ${groupName} role`,
        }),
      ]),
    ) as Record<UserGroup, cognito.UserPoolGroup>;
    // Users read their own tenant but can never write it: the attribute is immutable and not writable.
    this.client = this.userPool.addClient('WebClient', {
      // userPassword: `kura login` (USER_PASSWORD_AUTH over TLS; TOTP MFA is still required).
      authFlows: { userSrp: true, userPassword: true },
      generateSecret: false,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      idTokenValidity: Duration.hours(1),
      accessTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      readAttributes: new cognito.ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true })
        .withCustomAttributes(TENANT_ID_ATTRIBUTE),
      writeAttributes: new cognito.ClientAttributes().withStandardAttributes({ email: true }),
    });
  }
}
