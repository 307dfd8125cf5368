/**
 * `GET /about/processing` (issue 11.5): where a customer's data is stored, which AWS services handle it
 * as subprocessors, and how long each zone keeps it, so a company can see it without asking. Computed
 * from the stage's regions and settings (functions/domain/stages.ts), so the deployed API and the local
 * platform show the same value for the same stage.
 */

import type { Message } from '../i18n.ts';
import type { PlatformStage } from '../stages.ts';
import * as z from '../zod.ts';

const message = z.strictObject({ ja: z.string(), en: z.string() });

export const processingDisclosureSchema = z.strictObject({
  regions: z.array(
    z.strictObject({ region: z.string(), role: z.enum(['primary', 'disaster-recovery']), purpose: message }),
  ),
  subprocessors: z.array(
    z.strictObject({
      provider: z.literal('Amazon Web Services, Inc.'),
      service: z.string(),
      purpose: message,
      regions: z.array(z.string()),
    }),
  ),
  retention: z.array(
    z.strictObject({
      zone: z.string(),
      /** Days, or null when the period is not a fixed number of days (see `rule`). */
      days: z.nullable(z.int()),
      rule: message,
    }),
  ),
});
export type ProcessingDisclosure = z.infer<typeof processingDisclosureSchema>;

/**
 * The AWS services Kura's stacks actually use to store or process customer data. Keep in step with the
 * stacks: `test/infra/processing.test.ts` checks every service here is present in the synthesized
 * templates and every data-holding service there is listed here.
 */
export const SUBPROCESSOR_SERVICES: ReadonlyArray<{
  readonly service: string;
  /**
   * Text in the synthesized templates that proves the service is in use: a resource type prefix, or an
   * IAM action prefix for services whose resources are created at run time (tenant key secrets).
   */
  readonly evidence: string;
  readonly purpose: Message;
  /** Whether the service also runs in the disaster-recovery region. */
  readonly replicated: boolean;
}> = [
  {
    service: 'Amazon S3',
    evidence: 'AWS::S3::',
    purpose: {
      ja: 'アップロード・各ゾーンのデータ・監査証跡の保存',
      en: 'Stores uploads, zone data and audit evidence',
    },
    replicated: true,
  },
  {
    service: 'AWS Key Management Service',
    evidence: 'AWS::KMS::',
    purpose: { ja: '保存データの暗号鍵の管理', en: 'Manages the keys that encrypt stored data' },
    replicated: true,
  },
  {
    service: 'Amazon DynamoDB',
    evidence: 'AWS::DynamoDB::',
    purpose: { ja: 'テナント・アップロード・台帳の記録', en: 'Holds tenant, upload and ledger records' },
    replicated: false,
  },
  {
    service: 'AWS Lambda',
    evidence: 'AWS::Lambda::',
    purpose: {
      ja: '検証・仮名化・匿名化・統計作成・削除の処理',
      en: 'Runs validation, pseudonymisation, anonymisation, statistics and purge',
    },
    replicated: false,
  },
  {
    service: 'Amazon SQS',
    evidence: 'AWS::SQS::',
    purpose: {
      ja: 'アップロード通知の受け渡し（データ本体は含まない）',
      en: 'Passes upload notifications (no data content)',
    },
    replicated: false,
  },
  {
    service: 'AWS Secrets Manager',
    evidence: 'secretsmanager:',
    purpose: { ja: 'テナントごとの仮名化鍵の保管', en: "Keeps each tenant's pseudonymisation key" },
    replicated: false,
  },
  {
    service: 'Amazon Athena',
    evidence: 'AWS::Athena::',
    purpose: { ja: '匿名化データからの統計の集計', en: 'Aggregates statistics from anonymised data' },
    replicated: false,
  },
  {
    service: 'AWS Glue Data Catalog',
    evidence: 'AWS::Glue::',
    purpose: { ja: 'テーブル定義（メタデータのみ）', en: 'Table definitions (metadata only)' },
    replicated: false,
  },
  {
    service: 'Amazon Cognito',
    evidence: 'AWS::Cognito::',
    purpose: { ja: '利用者の認証', en: 'Authenticates users' },
    replicated: false,
  },
  {
    service: 'Amazon API Gateway',
    evidence: 'AWS::ApiGatewayV2::',
    purpose: { ja: 'API の受付', en: 'Receives API requests' },
    replicated: false,
  },
  {
    service: 'Amazon CloudWatch',
    evidence: 'AWS::CloudWatch::',
    purpose: {
      ja: '運用ログ・メトリクス（個人データは記録しない）',
      en: 'Operational logs and metrics (no personal data recorded)',
    },
    replicated: false,
  },
  {
    service: 'Amazon EventBridge Scheduler',
    evidence: 'AWS::Scheduler::',
    purpose: { ja: '定期処理の起動', en: 'Starts scheduled jobs' },
    replicated: false,
  },
];

/** What the disclosure depends on: the stage's regions and settings (the local platform passes its own). */
export type ProcessingConfig = Pick<PlatformStage, 'region' | 'drRegion' | 'settings'>;

/**
 * Regions, subprocessors and per-zone retention of a stage, for `GET /about/processing`.
 * @example processingDisclosure(platformStage('prod')).regions.map((r) => r.region)
 *   // ['ap-northeast-1', 'ap-northeast-3']
 */
export function processingDisclosure(config: ProcessingConfig): ProcessingDisclosure {
  const { retention } = config.settings;
  const regions: ProcessingDisclosure['regions'] = [
    {
      region: config.region,
      role: 'primary',
      purpose: { ja: 'すべてのデータの保存と処理', en: 'Stores and processes all data' },
    },
  ];
  if (config.drRegion) {
    regions.push({
      region: config.drRegion,
      role: 'disaster-recovery',
      purpose: {
        ja: '仮名化データ・統計・監査証跡の災害対策用複製',
        en: 'Disaster-recovery copies of curated data and audit evidence',
      },
    });
  }
  const days = (n: number, ja: string, en: string) => ({ days: n, rule: { ja, en } });
  return processingDisclosureSchema.parse({
    regions,
    subprocessors: SUBPROCESSOR_SERVICES.map((s) => ({
      provider: 'Amazon Web Services, Inc.',
      service: s.service,
      purpose: s.purpose,
      regions: s.replicated && config.drRegion ? [config.region, config.drRegion] : [config.region],
    })),
    retention: [
      {
        zone: 'landing',
        ...days(retention.landingDays, 'アップロード後に自動削除', 'Deleted automatically after upload'),
      },
      {
        zone: 'raw',
        ...days(retention.rawDays, '検証後に自動削除', 'Deleted automatically after validation'),
      },
      {
        zone: 'pseudonymised',
        ...days(
          retention.afterContractDays,
          '契約終了後この日数で削除（契約に定めがあればそれに従う）、削除証明書を発行',
          'Deleted this many days after the contract ends (or as the contract says), with a deletion certificate',
        ),
      },
      {
        zone: 'anonymised',
        days: null,
        rule: {
          ja: '匿名加工情報として統計のために保持（個人を識別できない）',
          en: 'Kept as anonymised data for statistics (no one can be identified)',
        },
      },
      {
        zone: 'query-results',
        ...days(
          retention.queryResultsDays,
          '集計結果の一時ファイルを自動削除',
          'Temporary query results deleted automatically',
        ),
      },
      {
        zone: 'noncurrent-versions',
        ...days(
          retention.noncurrentVersionDays,
          '上書き・削除された旧版を自動削除',
          'Overwritten or deleted versions removed automatically',
        ),
      },
      {
        zone: 'audit',
        ...days(
          retention.auditLockDays,
          '削除証明書と台帳の写し（個人データを含まない）を改ざん不能な状態で保持',
          'Deletion certificates and ledger exports (no personal data) kept unalterable',
        ),
      },
    ],
  });
}
