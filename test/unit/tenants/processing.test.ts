import { describe, expect, it } from 'vitest';
import { platformStage } from '../../../functions/domain/stages.ts';
import {
  processingDisclosure,
  processingDisclosureSchema,
} from '../../../functions/domain/tenants/processing.ts';

const stage = (name: 'dev' | 'prod') => platformStage(name);

describe('processing disclosure', () => {
  it('names the primary region only when there is no disaster-recovery region', () => {
    // Act
    const disclosure = processingDisclosure(stage('dev'));

    // Assess
    expect(disclosure.regions).toEqual([
      expect.objectContaining({ region: 'ap-northeast-1', role: 'primary' }),
    ]);
    for (const service of disclosure.subprocessors) expect(service.regions).toEqual(['ap-northeast-1']);
  });

  it('names the disaster-recovery region and the services that replicate into it', () => {
    // Act
    const disclosure = processingDisclosure(stage('prod'));

    // Assess
    expect(disclosure.regions.map((r) => [r.region, r.role])).toEqual([
      ['ap-northeast-1', 'primary'],
      ['ap-northeast-3', 'disaster-recovery'],
    ]);
    const s3 = disclosure.subprocessors.find((s) => s.service === 'Amazon S3');
    const dynamo = disclosure.subprocessors.find((s) => s.service === 'Amazon DynamoDB');
    expect(s3?.regions).toEqual(['ap-northeast-1', 'ap-northeast-3']);
    expect(dynamo?.regions).toEqual(['ap-northeast-1']);
  });

  it('keeps every region in Japan', () => {
    for (const name of ['dev', 'prod'] as const) {
      const disclosure = processingDisclosure(stage(name));
      const regions = [
        ...disclosure.regions.map((r) => r.region),
        ...disclosure.subprocessors.flatMap((s) => s.regions),
      ];
      for (const region of regions) expect(region).toMatch(/^ap-northeast-[13]$/);
    }
  });

  it('reports the retention of each zone from the stage settings', () => {
    // Prepare
    const config = stage('dev');
    const settings = {
      ...config.settings,
      retention: { ...config.settings.retention, landingDays: 3, rawDays: 45, auditLockDays: 400 },
    };

    // Act
    const disclosure = processingDisclosure({ ...config, settings });

    // Assess
    const days = Object.fromEntries(disclosure.retention.map((r) => [r.zone, r.days]));
    expect(days).toMatchObject({ landing: 3, raw: 45, audit: 400, anonymised: null });
    expect(days.pseudonymised).toBe(config.settings.retention.afterContractDays);
  });

  it('says everything in Japanese and English, and round-trips through JSON as the API reads it', () => {
    // Act
    const disclosure = processingDisclosure(stage('prod'));

    // Assess
    const messages = [...disclosure.regions, ...disclosure.subprocessors, ...disclosure.retention].map(
      (item) => ('purpose' in item ? item.purpose : item.rule),
    );
    for (const message of messages) {
      expect(message.ja.length).toBeGreaterThan(0);
      expect(message.en.length).toBeGreaterThan(0);
    }
    expect(processingDisclosureSchema.parse(JSON.parse(JSON.stringify(disclosure)))).toEqual(disclosure);
  });
});
