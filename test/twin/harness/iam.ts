/**
 * AWS's authorisation as the synthesized templates define it: every principal's identity policies (a
 * role's inline policies, the AWS::IAM::Policy resources attached to it, its managed policies) and every
 * resource policy (bucket, key, queue, topic), evaluated by a real IAM policy evaluator
 * (@cloud-copilot/iam-simulate, test-only: AGPL-3.0). Every decision is recorded, so a scenario can assert
 * it met no denial, and a statement can be removed to prove the evaluator bites.
 */
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { Json, ResolvedDeployment, ResourceRef } from './assembly.ts';

export interface AuthorizationRequest {
  /** The calling principal: a role's ARN, or a service principal such as `s3.amazonaws.com`. */
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | string[]>>;
}

export interface Decision {
  readonly request: AuthorizationRequest;
  readonly allowed: boolean;
  /** The evaluator's overall result (`Allowed`, `ImplicitlyDenied`, `ExplicitlyDenied`). */
  readonly result: string;
  /** Which policy kind decided: identity, resource (which one), or both. */
  readonly resourcePolicy?: string | undefined;
}

/** Raised to the caller like AWS's `AccessDenied`. */
export class TwinAccessDeniedError extends Error {
  override readonly name = 'AccessDenied';
  constructor(readonly decision: Decision) {
    super(
      `User: ${decision.request.principal} is not authorized to perform: ${decision.request.action} on resource: ${decision.request.resource} (${decision.result})`,
    );
  }
}

type PolicyDocument = { Version?: string; Statement: Json[] };

/**
 * The AWS managed policies the templates attach (only CDK's own bucket-notification helper does), with
 * the documents AWS publishes for them. Any other managed policy stops the twin: it cannot evaluate what
 * it cannot read.
 */
const AWS_MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
};

const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** Where a resource policy lives, found from the ARN of the resource a request names. */
interface ResourcePolicyEntry {
  readonly name: string;
  /** ARNs (or ARN prefixes ending in `/`) the policy governs. */
  readonly matches: (arn: string) => boolean;
  readonly policy: PolicyDocument;
}

export class TwinIam {
  readonly decisions: Decision[] = [];
  readonly #identity = new Map<string, Array<{ name: string; policy: PolicyDocument }>>();
  readonly #resourcePolicies: ResourcePolicyEntry[] = [];
  readonly #account: string;
  /** Statements removed by a test (`removeStatement`), by role ARN. */
  readonly #removed = new Map<string, Set<string>>();

  constructor(readonly deployment: ResolvedDeployment) {
    this.#account = deployment.assembly.stacks[0]?.account ?? '000000000000';
    this.#collectIdentityPolicies();
    this.#collectResourcePolicies();
  }

  /** The role ARNs the templates define. */
  get roles(): string[] {
    return [...this.#identity.keys()];
  }

  /** Identity policy documents of a role (after any test removal). */
  identityPolicies(roleArn: string): Array<{ name: string; policy: PolicyDocument }> {
    const removed = this.#removed.get(roleArn);
    return (this.#identity.get(roleArn) ?? []).map(({ name, policy }) => ({
      name,
      policy: {
        ...policy,
        Statement: list(policy.Statement).filter((statement) => !removed?.has(JSON.stringify(statement))),
      },
    }));
  }

  /**
   * Removes every statement of a role's identity policies that grants `action` (on any resource): the
   * way a test proves that a scenario depends on that grant.
   */
  removeStatement(roleArn: string, action: string): number {
    let removed = 0;
    const set = this.#removed.get(roleArn) ?? new Set<string>();
    for (const { policy } of this.#identity.get(roleArn) ?? []) {
      for (const statement of list(policy.Statement)) {
        if (statement.Effect === 'Allow' && list<string>(statement.Action).includes(action)) {
          set.add(JSON.stringify(statement));
          removed++;
        }
      }
    }
    this.#removed.set(roleArn, set);
    return removed;
  }

  /**
   * Evaluates a request as AWS would (identity and resource policy together), and records it, unless
   * `record` is false: a check S3 makes inside another request (may a caller that reads a missing key
   * list the bucket?) is no request of the caller's, and refusing it refuses nothing.
   */
  async authorize(request: AuthorizationRequest, { record = true } = {}): Promise<Decision> {
    const resourcePolicy = this.#resourcePolicyFor(request.resource);
    const isService = request.principal.endsWith('.amazonaws.com');
    const context: Record<string, string | string[]> = {
      'aws:SecureTransport': 'true',
      'aws:CurrentTime': new Date().toISOString(),
      ...(isService ? {} : { 'aws:PrincipalArn': request.principal, 'aws:PrincipalAccount': this.#account }),
      ...request.context,
    };
    const simulation = await runSimulation(
      {
        request: {
          principal: request.principal,
          action: request.action,
          resource: { resource: request.resource, accountId: this.#account },
          contextVariables: context,
        },
        identityPolicies: isService ? [] : this.identityPolicies(request.principal),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
        ...(resourcePolicy ? { resourcePolicy: resourcePolicy.policy } : {}),
      },
      {},
    );
    if (simulation.resultType === 'error') {
      throw new Error(
        `The IAM evaluator could not evaluate ${request.action} on ${request.resource}: ${simulation.errors.message} ${JSON.stringify(simulation.errors).slice(0, 600)}`,
      );
    }
    const decision: Decision = {
      request,
      allowed: simulation.overallResult === 'Allowed',
      result: simulation.overallResult,
      resourcePolicy: resourcePolicy?.name,
    };
    if (record) this.decisions.push(decision);
    return decision;
  }

  /** Like `authorize`, throwing TwinAccessDeniedError when AWS would refuse. */
  async require(request: AuthorizationRequest): Promise<void> {
    const decision = await this.authorize(request);
    if (!decision.allowed) throw new TwinAccessDeniedError(decision);
  }

  /** Every denial recorded so far. */
  get denials(): Decision[] {
    return this.decisions.filter((decision) => !decision.allowed);
  }

  #collectIdentityPolicies(): void {
    const { deployment } = this;
    const add = (roleArn: string, name: string, policy: PolicyDocument) => {
      const policies = this.#identity.get(roleArn) ?? [];
      policies.push({ name, policy });
      this.#identity.set(roleArn, policies);
    };
    const managed = new Map<string, { name: string; policy: PolicyDocument }>();
    for (const resource of deployment.ofType('AWS::IAM::ManagedPolicy')) {
      managed.set(deployment.ref(resource), {
        name: resource.logicalId,
        policy: deployment.resolve(resource.stack, resource.properties.PolicyDocument),
      });
    }
    const roleArnByName = new Map<string, string>();
    for (const role of deployment.ofType('AWS::IAM::Role')) {
      const arn = deployment.arn(role);
      roleArnByName.set(deployment.ref(role), arn);
      this.#identity.set(arn, this.#identity.get(arn) ?? []);
      for (const inline of list<Json>(role.properties.Policies)) {
        add(arn, inline.PolicyName, deployment.resolve(role.stack, inline.PolicyDocument));
      }
      for (const managedArn of list<Json>(
        deployment.resolve(role.stack, role.properties.ManagedPolicyArns),
      )) {
        const policy = managed.get(managedArn);
        const awsManaged = AWS_MANAGED_POLICIES[managedArn];
        if (policy) add(arn, policy.name, policy.policy);
        else if (awsManaged) add(arn, managedArn, awsManaged);
        else throw new Error(`Role ${role.logicalId} attaches ${managedArn}, which the twin cannot read`);
      }
    }
    for (const policy of deployment.ofType('AWS::IAM::Policy')) {
      for (const roleName of list<string>(deployment.resolve(policy.stack, policy.properties.Roles))) {
        const arn = roleArnByName.get(roleName);
        if (arn)
          add(arn, policy.logicalId, deployment.resolve(policy.stack, policy.properties.PolicyDocument));
      }
    }
    for (const resource of deployment.ofType('AWS::IAM::ManagedPolicy')) {
      for (const roleName of list<string>(deployment.resolve(resource.stack, resource.properties.Roles))) {
        const arn = roleArnByName.get(roleName);
        const policy = managed.get(deployment.ref(resource));
        if (arn && policy) add(arn, policy.name, policy.policy);
      }
    }
  }

  #collectResourcePolicies(): void {
    const { deployment } = this;
    const byArn = (arn: string) => (candidate: string) => candidate === arn;
    const bucketOrObjects = (bucketArn: string) => (candidate: string) =>
      candidate === bucketArn || candidate.startsWith(`${bucketArn}/`);
    for (const policy of deployment.ofType('AWS::S3::BucketPolicy')) {
      const bucket = deployment.resolve(policy.stack, policy.properties.Bucket);
      this.#resourcePolicies.push({
        name: `bucket policy of ${bucket}`,
        matches: bucketOrObjects(`arn:aws:s3:::${bucket}`),
        policy: deployment.resolve(policy.stack, policy.properties.PolicyDocument),
      });
    }
    for (const key of deployment.ofType('AWS::KMS::Key')) {
      this.#resourcePolicies.push({
        name: `key policy of ${key.logicalId}`,
        matches: byArn(deployment.arn(key)),
        policy: deployment.resolve(key.stack, key.properties.KeyPolicy),
      });
    }
    for (const policy of deployment.ofType('AWS::SQS::QueuePolicy')) {
      const urls = list<string>(deployment.resolve(policy.stack, policy.properties.Queues));
      for (const url of urls) {
        const queue = this.#queueByUrl(url);
        this.#resourcePolicies.push({
          name: `queue policy of ${queue ? queue.logicalId : url}`,
          matches: byArn(queue ? deployment.arn(queue) : url),
          policy: deployment.resolve(policy.stack, policy.properties.PolicyDocument),
        });
      }
    }
    // A function's resource policy is the sum of its AWS::Lambda::Permission resources.
    const functionStatements = new Map<string, Json[]>();
    for (const permission of deployment.ofType('AWS::Lambda::Permission')) {
      const props = deployment.resolve(permission.stack, permission.properties);
      const name = String(props.FunctionName);
      const fn = deployment
        .ofType('AWS::Lambda::Function')
        .find((candidate) => deployment.arn(candidate) === name || deployment.ref(candidate) === name);
      const arn = fn ? deployment.arn(fn) : name;
      const principal = String(props.Principal);
      const condition: Json = {};
      if (props.SourceArn) condition.ArnLike = { 'aws:SourceArn': props.SourceArn };
      if (props.SourceAccount) condition.StringEquals = { 'aws:SourceAccount': props.SourceAccount };
      const statements = functionStatements.get(arn) ?? [];
      statements.push({
        Effect: 'Allow',
        Principal: principal.endsWith('.amazonaws.com') ? { Service: principal } : { AWS: principal },
        Action: props.Action,
        Resource: arn,
        ...(Object.keys(condition).length > 0 ? { Condition: condition } : {}),
      });
      functionStatements.set(arn, statements);
    }
    for (const [arn, statements] of functionStatements) {
      this.#resourcePolicies.push({
        name: `function policy of ${arn}`,
        matches: byArn(arn),
        policy: { Version: '2012-10-17', Statement: statements },
      });
    }
    for (const policy of deployment.ofType('AWS::SNS::TopicPolicy')) {
      for (const topicArn of list<string>(deployment.resolve(policy.stack, policy.properties.Topics))) {
        this.#resourcePolicies.push({
          name: `topic policy of ${topicArn}`,
          matches: byArn(topicArn),
          policy: deployment.resolve(policy.stack, policy.properties.PolicyDocument),
        });
      }
    }
  }

  #queueByUrl(url: string): ResourceRef | undefined {
    return this.deployment.ofType('AWS::SQS::Queue').find((queue) => this.deployment.ref(queue) === url);
  }

  #resourcePolicyFor(arn: string): ResourcePolicyEntry | undefined {
    return this.#resourcePolicies.find((entry) => entry.matches(arn));
  }

  /**
   * The key policy of a KMS key: KMS refuses any use the key policy does not allow (directly or by
   * delegating to the account's IAM policies), which `authorize` on the key's ARN evaluates.
   */
  hasResourcePolicy(arn: string): boolean {
    return this.#resourcePolicyFor(arn) !== undefined;
  }
}
