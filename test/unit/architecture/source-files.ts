/**
 * The sources the architecture tests read, and what each imports. Read from the text: every
 * `import … from`, `export … from` and `import()` (madge, the usual tool, needs TypeScript's JS API,
 * which the TypeScript 7 this repository uses no longer has).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../../..');

/** The top-level folders README's folder map names that hold code which ships or runs the platform. */
export const CODE_FOLDERS = ['functions', 'local', 'infra', 'bin', 'bench', 'layers'] as const;

/** Every source file under a folder (absolute paths), without node_modules or declaration files. */
export function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.(ts|js|mts)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** Every module specifier a source text imports or re-exports, as written. */
export function specifiers(text: string): string[] {
  return [...new Set([...text.matchAll(SPECIFIER)].map((m) => m[1] as string))];
}

/** A relative specifier resolved to an absolute path; undefined for a package or built-in. */
export function resolveRelative(file: string, specifier: string): string | undefined {
  return specifier.startsWith('./') || specifier.startsWith('../')
    ? resolve(dirname(file), specifier)
    : undefined;
}

/** A path relative to the repository root, with forward slashes. */
export const repoPath = (path: string): string => relative(ROOT, path).split('\\').join('/');

/** Each source file of the code folders with its text. */
export function codeFiles(): { readonly path: string; readonly text: string }[] {
  return CODE_FOLDERS.flatMap((folder) => sources(join(ROOT, folder))).map((path) => ({
    path,
    text: readFileSync(path, 'utf8'),
  }));
}

const LOADED_AT_START =
  /^\s*(?:import\s+(?!type\b)(?:[^'";]*?\bfrom\s*)?|export\s+(?!type\b)[^'";]*?\bfrom\s*)['"]([^'"]+)['"]/gm;

/**
 * The specifiers a module loads when it is itself loaded: value imports and re-exports (an inline
 * `type` beside them still loads the module), not `import type` nor `import()`.
 */
export function loadedAtStart(text: string): string[] {
  return [...new Set([...text.matchAll(LOADED_AT_START)].map((m) => m[1] as string))];
}
