import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStageConfig } from './config.ts';
import { buildKuraApp } from './kura-app.ts';

/**
 * CDK entry point: `cdk synth -c stage=prod`. The account is a placeholder in cdk.json so synth runs
 * offline; deploy takes the real one from `KURA_ACCOUNT`.
 */
const app = new App();
const config = loadStageConfig(
  app.node.tryGetContext('kura:stages'),
  app.node.tryGetContext('stage'),
  process.env,
);
buildKuraApp(app, config);
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
