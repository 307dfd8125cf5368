import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError, loadStageConfig } from './config.ts';
import { buildKuraApp } from './kura-app.ts';

/**
 * CDK entry point: `cdk synth -c stage=prod`. The account is a placeholder in cdk.json so synth runs
 * offline; deploy takes the real one from `KURA_ACCOUNT`. cdk-nag's AwsSolutions pack validates every
 * stack at synth: an unacknowledged finding fails synth.
 */
const app = new App();
try {
  const config = loadStageConfig(
    app.node.tryGetContext('kura:stages'),
    app.node.tryGetContext('stage'),
    process.env,
  );
  buildKuraApp(app, config);
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  // A configuration mistake is the user's to fix: show the message, not a stack trace.
  console.error(`Kura cannot synthesise: ${error.message}`);
  process.exit(1);
}
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
