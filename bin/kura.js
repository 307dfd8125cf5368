#!/usr/bin/env node
// Kura's command line. The CLI is TypeScript (local/cli/main.ts); tsx's API loads it without a build.
import { register } from 'tsx/esm/api';

// The AWS SDK's notice that its 2027 versions need Node.js 22 is not for someone using the CLI.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { main } = await import('../local/cli/main.ts');
await main();
