import { App } from 'aws-cdk-lib';
import { RentalStack } from '../lib/rental-stack';
import { stageFromContext } from '../lib/stage';

const app = new App();
const stage = stageFromContext(app.node);
new RentalStack(app, `PhuketRental-${stage.name}`, {
  stage,
  // Region and account come from the deploying profile; synth needs neither.
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'ap-southeast-1' },
  description: `Phuket Rental API (${stage.name})`,
});
