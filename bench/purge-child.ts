/** Runs the purge benchmark in this process and prints its Section as one JSON line (see purge.ts). */
import { parseArgs } from 'node:util';
import { runPurgeBenchmark } from './purge.ts';

const { values } = parseArgs({ options: { dir: { type: 'string' }, objects: { type: 'string' } } });
if (!values.dir) throw new Error('usage: purge-child.ts --dir <temp dir> [--objects 10000]');
const section = await runPurgeBenchmark({ dir: values.dir, objects: Number(values.objects ?? 10_000) });
process.stdout.write(`${JSON.stringify(section)}\n`);
