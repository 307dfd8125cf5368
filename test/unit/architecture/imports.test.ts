/**
 * No import circles in the code that ships or runs the platform (issue 20): a circle means two modules
 * that cannot be understood, tested or moved apart. Type-only imports count too (they tie the files as
 * tightly for a reader). Read from the sources: every relative `import … from`, `export … from` and
 * `import()`; a circle is a strongly connected component of more than one file or a file importing
 * itself (test/unit/architecture/source-files.ts reads them).
 */
import { describe, expect, it } from 'vitest';
import { codeFiles, repoPath, resolveRelative, specifiers } from './source-files.ts';

/** Relative imports of every source file, as absolute paths. */
function importGraph(): Map<string, string[]> {
  const files = codeFiles();
  const known = new Set(files.map((f) => f.path));
  const graph = new Map<string, string[]>();
  for (const { path, text } of files) {
    const targets = specifiers(text)
      .map((specifier) => resolveRelative(path, specifier))
      .filter((target): target is string => target !== undefined && known.has(target));
    graph.set(path, [...new Set(targets)]);
  }
  return graph;
}

/** Tarjan's strongly connected components, keeping those that are circles. */
function circles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next);
    next += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        component.push(w);
        if (w === v) break;
      }
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return found;
}

describe('module structure', () => {
  it('has no import circle between the files README’s folder map names', () => {
    const graph = importGraph();
    expect(graph.size).toBeGreaterThan(200);
    expect(circles(graph).map((c) => c.map(repoPath))).toEqual([]);
  });

  it('finds a circle when there is one (the check itself)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(circles(graph)).toEqual([['a', 'b', 'c']]);
  });
});
