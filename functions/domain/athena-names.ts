/**
 * Glue database and Athena workgroup names of a stage: one home for them, read by the stacks that
 * create them and by the functions whose SQL names them. Every name carries the stage, so `dev` and
 * `prod` (or a second stage for a test) can live in one account without colliding.
 */
import { STAGE_NAME_PATTERN } from './stages.ts';

/** Kura's Glue databases, by role. */
export const GLUE_DATABASE_KEYS = [
  'raw',
  'pseudonymised',
  'anonymised',
  'stats',
  'statsAdmin',
  'statsWork',
] as const;
export type GlueDatabaseKey = (typeof GLUE_DATABASE_KEYS)[number];
export type GlueDatabases = Readonly<Record<GlueDatabaseKey, string>>;

const DATABASE_SUFFIX: Readonly<Record<GlueDatabaseKey, string>> = {
  raw: 'raw',
  pseudonymised: 'pseudonymised',
  anonymised: 'anonymised',
  stats: 'stats',
  statsAdmin: 'stats_admin',
  statsWork: 'stats_work',
};

function checkedStage(stage: string): string {
  if (!STAGE_NAME_PATTERN.test(stage)) {
    throw new Error(
      `Stage "${stage.slice(0, 40)}" cannot name Glue databases: use lower-case letters and digits.`,
    );
  }
  return stage;
}

/**
 * The stage's Glue databases, e.g. `kura_dev_stats`.
 * @example glueDatabases('prod').stats // 'kura_prod_stats'
 */
export function glueDatabases(stage: string): GlueDatabases {
  const prefix = `kura_${checkedStage(stage)}_`;
  return Object.fromEntries(
    GLUE_DATABASE_KEYS.map((key) => [key, `${prefix}${DATABASE_SUFFIX[key]}`]),
  ) as Record<GlueDatabaseKey, string>;
}

/** Kura's Athena workgroups, by audience. */
export const WORKGROUP_KEYS = ['etl', 'bi', 'admin'] as const;
export type WorkgroupKey = (typeof WORKGROUP_KEYS)[number];

/**
 * A stage's workgroup, e.g. `kura-dev-etl`: `etl` for statistics releases, `bi` for BI tools, `admin`
 * for platform analysis of pseudonymised data.
 */
export const workgroupName = (stage: string, key: WorkgroupKey): string =>
  `kura-${checkedStage(stage)}-${key}`;

/** Key prefix of a workgroup's results in the query-results bucket (zones.ts `results/<workgroup>/`). */
export const workgroupResultsPrefix = (stage: string, key: WorkgroupKey): string =>
  `results/${workgroupName(stage, key)}/`;
