import { type App, Tags } from 'aws-cdk-lib';
import { isJapanRegion, JAPAN_REGIONS } from '../functions/domain/stages.ts';
import { ConfigError, type StageConfig } from './config.ts';
import { stackName } from './naming.ts';
import { AnalyticsStack } from './stacks/analytics-stack.ts';
import { ApiStack } from './stacks/api-stack.ts';
import { MonitoringStack } from './stacks/monitoring-stack.ts';
import { OperationsStack } from './stacks/operations-stack.ts';
import { PipelineStack } from './stacks/pipeline-stack.ts';
import { StorageReplicaStack } from './stacks/storage-replica-stack.ts';
import { StorageStack } from './stacks/storage-stack.ts';

/** The stacks of one stage. */
export interface KuraStacks {
  readonly storage: StorageStack;
  readonly storageReplica?: StorageReplicaStack;
  readonly monitoring: MonitoringStack;
  readonly pipeline: PipelineStack;
  readonly analytics: AnalyticsStack;
  readonly operations: OperationsStack;
  readonly api: ApiStack;
}

/**
 * Builds every stack of one stage into `app`, each with an explicit Japanese env.
 * @throws ConfigError when a region is outside Japan (the stage config already refuses it; this guards
 * callers that build a config by hand).
 */
export function buildKuraApp(app: App, config: StageConfig): KuraStacks {
  for (const [setting, region] of [
    ['region', config.region],
    ['drRegion', config.drRegion],
  ] as const) {
    if (region !== undefined && !isJapanRegion(region)) {
      throw new ConfigError(
        `${setting} is "${region}", but Kura keeps data in Japan: allowed values are ${JAPAN_REGIONS.join(' and ')}.`,
      );
    }
  }
  const env = { account: config.account, region: config.region };
  const storageReplica = config.drRegion
    ? new StorageReplicaStack(app, stackName(config.stage, 'StorageReplica'), {
        env: { account: config.account, region: config.drRegion },
        config,
        description: `Kura ${config.stage}: disaster-recovery replicas (${config.drRegion})`,
      })
    : undefined;
  const monitoring = new MonitoringStack(app, stackName(config.stage, 'Monitoring'), {
    env,
    config,
    description: `Kura ${config.stage}: alarm topic`,
  });
  const storage = new StorageStack(app, stackName(config.stage, 'Storage'), {
    env,
    config,
    description: `Kura ${config.stage}: keys, zone buckets and tables`,
  });
  if (storageReplica)
    storage.addStackDependency(storageReplica, 'replication needs the pre-named replica buckets');

  const pipeline = new PipelineStack(app, stackName(config.stage, 'Pipeline'), {
    env,
    config,
    storage,
    description: `Kura ${config.stage}: landing notifications, ingest queue and ingest function`,
  });

  const analytics = new AnalyticsStack(app, stackName(config.stage, 'Analytics'), {
    env,
    config,
    storage,
    description: `Kura ${config.stage}: Glue catalogue, Athena workgroups, BI access, statistics releases`,
  });

  const api = new ApiStack(app, stackName(config.stage, 'Api'), {
    env,
    config,
    storage,
    description: `Kura ${config.stage}: user pool, HTTP API and API function`,
  });

  // The purge disables a purged company's accounts in the user pool: Operations follows Api.
  const operations = new OperationsStack(app, stackName(config.stage, 'Operations'), {
    env,
    config,
    storage,
    users: api.users,
    description: `Kura ${config.stage}: scheduled purge, ledger export and operational checks`,
  });

  // Alarms notify the topic by its fixed name: the monitoring stack must exist first.
  for (const stack of [pipeline, analytics, operations, api]) {
    stack.addStackDependency(monitoring, 'alarms notify the alarm topic');
  }

  Tags.of(app).add('project', 'kura');
  Tags.of(app).add('stage', config.stage);
  Tags.of(app).add('data-residency', 'japan');
  return { storage, storageReplica, monitoring, pipeline, analytics, operations, api };
}
