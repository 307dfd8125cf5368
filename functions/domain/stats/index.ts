/** Anonymised statistics: catalogue, disclosure-controlled SQL, releases, BI views, benchmarks, APPI notices. */
export * from './benchmark.ts';
export {
  type BenchmarkPosition,
  type OwnFigures,
  type PublishedCell,
  type SegmentRef,
  segmentName,
} from './benchmark-segments.ts';
export * from './catalog.ts';
export * from './notice.ts';
export * from './publish.ts';
export * from './publish-athena.ts';
export {
  hiveName,
  registerReleasePartitions,
  statisticFiles,
  trinoName,
} from './publish-commit.ts';
export * from './release.ts';
export * from './render.ts';
export * from './run.ts';
export * from './service.ts';
export * from './sql.ts';
export * from './sql-cells.ts';
export * from './statistics.ts';
export * from './suppression.ts';
export * from './views.ts';
