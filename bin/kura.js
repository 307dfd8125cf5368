#!/usr/bin/env node
// Kura's command line. The CLI is TypeScript (local/cli/main.ts); tsx's API loads it without a build.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../local/cli/main.ts');
await main();
