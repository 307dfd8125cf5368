/**
 * Writes a synthetic plan's files to a folder, streaming (benchmark sizes never sit in memory):
 *   npx tsx local/synthetic/write.ts --companies 2000 --out /tmp/kura-bench [--national] [--seed 42]
 * Prints one line per quarter of the files and a manifest (`plan.json`: companies and files).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createProgress } from '../progress.ts';
import { type DemoPlan, demoPlan, writeDemoFile } from './plan.ts';

/** Writes every file of the plan under `dir/<tenantId>/`; resolves to the paths written. */
export async function writePlanFiles(
  plan: DemoPlan,
  dir: string,
  onFile?: (done: number, path: string) => void,
): Promise<string[]> {
  const paths: string[] = [];
  for (const [index, file] of plan.files.entries()) {
    const folder = join(dir, file.tenantId);
    await mkdir(folder, { recursive: true });
    const path = join(folder, file.fileName);
    await writeDemoFile(path, file);
    paths.push(path);
    onFile?.(index + 1, path);
  }
  await writeFile(
    join(dir, 'plan.json'),
    JSON.stringify(
      {
        companies: plan.companies,
        files: plan.files.map((f, i) => ({
          tenantId: f.tenantId,
          dataset: f.dataset,
          path: paths[i],
          style: f.style,
          broken: f.broken === true,
        })),
      },
      null,
      2,
    ),
  );
  return paths;
}

async function main() {
  const { values } = parseArgs({
    options: {
      companies: { type: 'string', default: '24' },
      out: { type: 'string' },
      seed: { type: 'string' },
      national: { type: 'boolean', default: false },
    },
  });
  if (!values.out) throw new Error('--out <folder> is required');
  const plan = demoPlan({
    companies: Number.parseInt(values.companies, 10),
    ...(values.seed ? { seed: Number.parseInt(values.seed, 10) } : {}),
    ...(values.national ? { focus: null } : {}),
  });
  const progress = createProgress({ label: 'files', total: plan.files.length });
  await writePlanFiles(plan, values.out, (done, path) => progress.update(done, path));
  progress.stop();
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
