/**
 * Kura's zod: the functional build (zod/mini), which bundles only the schemas and checks Kura uses and
 * builds them without the method-chaining build's per-schema methods, so every function imports faster
 * (bench/results.md: module import time). zod/mini has no default locale; the English one the full
 * build sets is set here, since errors.ts falls back to zod's English text for fields without a
 * bilingual message. Every module imports it as `* as z` from here, never from 'zod' itself (a namespace
 * import with static member access is what lets the bundler keep only what is used).
 */
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());

export * from 'zod/mini';
