/**
 * The twin's view of a deployment: the stage synthesized exactly as `cdk synth` does (esbuild bundles and
 * the DuckDB layer staged into a cloud assembly), every template read back, and every CloudFormation
 * intrinsic resolved to the physical names and ARNs the resources would get in one account. What the
 * twin runs and evaluates comes from here, never from the infra code's own objects.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadStageConfig, type StageConfig, type StageName } from '../../../infra/config.ts';
import { buildKuraApp } from '../../../infra/kura-app.ts';

/** A node of CloudFormation JSON. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is untyped; the twin walks it freely.
export type Json = any;

/** The cdk.json context, as the CDK CLI passes it. */
export const CDK_CONTEXT: Record<string, unknown> = JSON.parse(
  readFileSync(new URL('../../../cdk.json', import.meta.url), 'utf8'),
).context;

export interface StackTemplate {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly template: Json;
}

export interface SynthesizedAssembly {
  readonly stage: StageName;
  readonly config: StageConfig;
  /** The cloud assembly folder (`cdk.out`-like): templates and staged assets. */
  readonly directory: string;
  readonly stacks: readonly StackTemplate[];
}

/**
 * Synthesizes a stage into `outdir` the way `npx cdk synth -c stage=<stage>` does: the same context,
 * bundling on (the functions' code is the deployed artifact), asset metadata on (so each function names
 * its asset folder).
 */
export function synthesizeAssembly(stage: StageName, outdir: string): SynthesizedAssembly {
  const config = loadStageConfig(CDK_CONTEXT['kura:stages'], stage);
  const app = new App({
    outdir,
    context: { ...CDK_CONTEXT, stage, 'aws:cdk:enable-asset-metadata': true },
  });
  buildKuraApp(app, config);
  const assembly = app.synth();
  return {
    stage,
    config,
    directory: assembly.directory,
    stacks: assembly.stacks.map((stack) => ({
      stackName: stack.stackName,
      account: stack.environment.account,
      region: stack.environment.region,
      template: stack.template,
    })),
  };
}

/** Reads a synthesized assembly back from its folder (the twin's global setup writes it once). */
export function readAssembly(directory: string, stage: StageName): SynthesizedAssembly {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as Json;
  const stacks: StackTemplate[] = [];
  for (const [stackName, artifact] of Object.entries<Json>(manifest.artifacts ?? {})) {
    if (artifact.type !== 'aws:cloudformation:stack') continue;
    const [, account, region] = /^aws:\/\/([^/]+)\/(.+)$/.exec(artifact.environment) ?? [];
    stacks.push({
      stackName,
      account: account ?? '',
      region: region ?? '',
      template: JSON.parse(readFileSync(join(directory, artifact.properties.templateFile), 'utf8')),
    });
  }
  return { stage, config: loadStageConfig(CDK_CONTEXT['kura:stages'], stage), directory, stacks };
}

/** A resource of one stack, addressed globally as `<stack>/<logicalId>`. */
export interface ResourceRef {
  readonly stack: StackTemplate;
  readonly logicalId: string;
  readonly type: string;
  readonly properties: Json;
  readonly metadata: Json;
}

/** Physical attributes of a resource as CloudFormation would report them. */
interface Physical {
  readonly ref: string;
  readonly attributes: Record<string, string>;
}

/** A deterministic suffix of the shape CloudFormation appends to generated names (`-AbC123dEf456`). */
function suffix(seed: string, length = 12, upper = true): string {
  const alphabet = upper
    ? 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    : 'abcdefghijklmnopqrstuvwxyz0123456789';
  const digest = createHash('sha256').update(seed).digest();
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[(digest[i] ?? 0) % alphabet.length];
  return out;
}

/** A UUID derived from a seed (KMS key ids). */
function uuidFrom(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** `<stack>-<logicalId>-<SUFFIX>` trimmed as CloudFormation trims generated names. */
function generatedName(stack: string, logicalId: string, max: number, lower = false): string {
  const tail = `-${suffix(`${stack}/${logicalId}`, 12, !lower)}`;
  const head = `${stack}-${logicalId}`.slice(0, max - tail.length);
  const name = `${head}${tail}`;
  return lower ? name.toLowerCase() : name;
}

/** Raised when a template uses an intrinsic or reference the resolver does not know. */
export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

/**
 * The deployment as one account would hold it: every resource of every stack with its physical name and
 * ARN, and a resolver for any template value (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::ImportValue, …).
 */
export class ResolvedDeployment {
  readonly resources: readonly ResourceRef[];
  readonly #physical = new Map<string, Physical>();
  readonly #exports = new Map<string, { stack: StackTemplate; value: Json }>();

  constructor(readonly assembly: SynthesizedAssembly) {
    const resources: ResourceRef[] = [];
    for (const stack of assembly.stacks) {
      for (const [logicalId, resource] of Object.entries<Json>(stack.template.Resources ?? {})) {
        resources.push({
          stack,
          logicalId,
          type: resource.Type,
          properties: resource.Properties ?? {},
          metadata: resource.Metadata ?? {},
        });
      }
      for (const output of Object.values<Json>(stack.template.Outputs ?? {})) {
        if (output.Export?.Name) {
          this.#exports.set(this.resolve(stack, output.Export.Name), { stack, value: output.Value });
        }
      }
    }
    this.resources = resources;
  }

  /** Resources of a type, across stacks. */
  ofType(type: string): ResourceRef[] {
    return this.resources.filter((resource) => resource.type === type);
  }

  /** A resource by stack name and logical id. */
  find(stackName: string, logicalId: string): ResourceRef {
    const found = this.resources.find((r) => r.stack.stackName === stackName && r.logicalId === logicalId);
    if (!found) throw new TemplateResolutionError(`No resource ${logicalId} in ${stackName}`);
    return found;
  }

  /** Physical id (Ref) of a resource. */
  ref(resource: ResourceRef): string {
    return this.#physicalOf(resource).ref;
  }

  /** An attribute (Fn::GetAtt) of a resource. */
  attribute(resource: ResourceRef, name: string): string {
    const value = this.#physicalOf(resource).attributes[name];
    if (value === undefined) {
      throw new TemplateResolutionError(
        `The twin does not know attribute ${name} of ${resource.type} ${resource.logicalId}`,
      );
    }
    return value;
  }

  /** The ARN of a resource (its `Arn` attribute). */
  arn(resource: ResourceRef): string {
    return this.attribute(resource, 'Arn');
  }

  /** Resolves every intrinsic in a template value of `stack`. */
  resolve(stack: StackTemplate, value: Json): Json {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item) => this.resolve(stack, item));
    const keys = Object.keys(value);
    if (keys.length === 1) {
      const [key] = keys as [string];
      const argument = value[key];
      switch (key) {
        case 'Ref':
          return this.#resolveRef(stack, argument);
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(argument)
            ? argument
            : String(argument).split(/\.(.+)/);
          return this.attribute(this.find(stack.stackName, logicalId), attribute);
        }
        case 'Fn::Join': {
          const [separator, parts] = argument;
          return (this.resolve(stack, parts) as string[]).join(separator);
        }
        case 'Fn::Sub':
          return this.#sub(stack, argument);
        case 'Fn::ImportValue': {
          const name = this.resolve(stack, argument);
          const exported = this.#exports.get(name);
          if (!exported) throw new TemplateResolutionError(`No stack exports ${name}`);
          return this.resolve(exported.stack, exported.value);
        }
        case 'Fn::Select': {
          const [index, list] = argument;
          return (this.resolve(stack, list) as Json[])[Number(this.resolve(stack, index))];
        }
        case 'Fn::Split': {
          const [separator, source] = argument;
          return String(this.resolve(stack, source)).split(separator);
        }
        case 'Fn::Base64':
          return Buffer.from(String(this.resolve(stack, argument))).toString('base64');
        case 'Fn::GetAZs':
          return ['a', 'c', 'd'].map((zone) => `${stack.region}${zone}`);
        case 'Fn::If':
        case 'Fn::FindInMap':
        case 'Fn::Equals':
          throw new TemplateResolutionError(`The twin does not evaluate ${key} (no template uses it yet)`);
        default:
          break;
      }
    }
    const out: Json = {};
    for (const [key, item] of Object.entries(value)) out[key] = this.resolve(stack, item);
    return out;
  }

  #resolveRef(stack: StackTemplate, name: string): Json {
    switch (name) {
      case 'AWS::Region':
        return stack.region;
      case 'AWS::AccountId':
        return stack.account;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stack.stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${stack.region}:${stack.account}:stack/${stack.stackName}/${uuidFrom(stack.stackName)}`;
      case 'AWS::NoValue':
        return undefined;
      default:
        break;
    }
    const parameter = stack.template.Parameters?.[name];
    if (parameter) return parameter.Default;
    return this.ref(this.find(stack.stackName, name));
  }

  #sub(stack: StackTemplate, argument: Json): string {
    const [text, variables] = Array.isArray(argument) ? argument : [argument, {}];
    return String(text).replace(/\$\{([^}]+)\}/g, (_all, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (variables[expression] !== undefined) return String(this.resolve(stack, variables[expression]));
      if (expression.includes('.')) {
        const [logicalId, attribute] = expression.split(/\.(.+)/) as [string, string];
        return this.attribute(this.find(stack.stackName, logicalId), attribute);
      }
      return String(this.#resolveRef(stack, expression));
    });
  }

  #physicalOf(resource: ResourceRef): Physical {
    const key = `${resource.stack.stackName}/${resource.logicalId}`;
    let physical = this.#physical.get(key);
    if (!physical) {
      physical = this.#derive(resource);
      this.#physical.set(key, physical);
    }
    return physical;
  }

  #derive(resource: ResourceRef): Physical {
    const { stack, logicalId, properties } = resource;
    const { region, account, stackName } = stack;
    const named = (property: string | undefined, max: number, lower = false): string => {
      const given = property === undefined ? undefined : this.resolve(stack, property);
      return given ?? generatedName(stackName, logicalId, max, lower);
    };
    switch (resource.type) {
      case 'AWS::S3::Bucket': {
        const name = named(properties.BucketName, 63, true);
        return {
          ref: name,
          attributes: {
            Arn: `arn:aws:s3:::${name}`,
            DomainName: `${name}.s3.amazonaws.com`,
            RegionalDomainName: `${name}.s3.${region}.amazonaws.com`,
          },
        };
      }
      case 'AWS::KMS::Key': {
        const id = uuidFrom(`${stackName}/${logicalId}`);
        return { ref: id, attributes: { Arn: `arn:aws:kms:${region}:${account}:key/${id}`, KeyId: id } };
      }
      case 'AWS::KMS::Alias':
        return { ref: this.resolve(stack, properties.AliasName), attributes: {} };
      case 'AWS::IAM::Role': {
        const name = named(properties.RoleName, 64);
        const path = properties.Path ?? '/';
        return {
          ref: name,
          attributes: {
            Arn: `arn:aws:iam::${account}:role${path}${name}`,
            RoleId: `AROA${suffix(name, 17).toUpperCase()}`,
          },
        };
      }
      case 'AWS::IAM::ManagedPolicy': {
        const name = named(properties.ManagedPolicyName, 128);
        const arn = `arn:aws:iam::${account}:policy${properties.Path ?? '/'}${name}`;
        return { ref: arn, attributes: { PolicyArn: arn } };
      }
      case 'AWS::Lambda::Function': {
        const name = named(properties.FunctionName, 64);
        return { ref: name, attributes: { Arn: `arn:aws:lambda:${region}:${account}:function:${name}` } };
      }
      case 'AWS::Lambda::LayerVersion': {
        const name = named(properties.LayerName, 64);
        return { ref: `arn:aws:lambda:${region}:${account}:layer:${name}:1`, attributes: {} };
      }
      case 'AWS::SQS::Queue': {
        const name = named(properties.QueueName, 80);
        const arn = `arn:aws:sqs:${region}:${account}:${name}`;
        const url = `https://sqs.${region}.amazonaws.com/${account}/${name}`;
        return { ref: url, attributes: { Arn: arn, QueueName: name, QueueUrl: url } };
      }
      case 'AWS::SNS::Topic': {
        const name = named(properties.TopicName, 256);
        const arn = `arn:aws:sns:${region}:${account}:${name}`;
        return { ref: arn, attributes: { TopicArn: arn, TopicName: name } };
      }
      case 'AWS::DynamoDB::Table': {
        const name = named(properties.TableName, 255);
        const arn = `arn:aws:dynamodb:${region}:${account}:table/${name}`;
        return { ref: name, attributes: { Arn: arn, StreamArn: `${arn}/stream/2026-01-01T00:00:00.000` } };
      }
      case 'AWS::Logs::LogGroup': {
        const name = named(properties.LogGroupName, 512);
        return { ref: name, attributes: { Arn: `arn:aws:logs:${region}:${account}:log-group:${name}:*` } };
      }
      case 'AWS::Glue::Database':
        return { ref: this.resolve(stack, properties.DatabaseInput?.Name), attributes: {} };
      case 'AWS::Glue::Table':
        return { ref: this.resolve(stack, properties.TableInput?.Name), attributes: {} };
      case 'AWS::Athena::WorkGroup':
        return { ref: this.resolve(stack, properties.Name), attributes: {} };
      case 'AWS::Cognito::UserPool': {
        const id = `${region}_${suffix(logicalId, 9)}`;
        return {
          ref: id,
          attributes: {
            Arn: `arn:aws:cognito-idp:${region}:${account}:userpool/${id}`,
            ProviderName: `cognito-idp.${region}.amazonaws.com/${id}`,
            ProviderURL: `https://cognito-idp.${region}.amazonaws.com/${id}`,
          },
        };
      }
      case 'AWS::Cognito::UserPoolClient':
        return { ref: suffix(logicalId, 26, false), attributes: {} };
      case 'AWS::ApiGatewayV2::Api': {
        const id = suffix(logicalId, 10, false);
        return { ref: id, attributes: { ApiEndpoint: `https://${id}.execute-api.${region}.amazonaws.com` } };
      }
      case 'AWS::Scheduler::Schedule': {
        const name = named(properties.Name, 64);
        return {
          ref: name,
          attributes: { Arn: `arn:aws:scheduler:${region}:${account}:schedule/default/${name}` },
        };
      }
      case 'AWS::CloudWatch::Alarm': {
        const name = named(properties.AlarmName, 255);
        return { ref: name, attributes: { Arn: `arn:aws:cloudwatch:${region}:${account}:alarm:${name}` } };
      }
      default: {
        const id = generatedName(stackName, logicalId, 128);
        return { ref: id, attributes: { Arn: `arn:aws:${resource.type}:${region}:${account}:${id}` } };
      }
    }
  }
}
