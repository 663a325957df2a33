import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
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
// cdk-nag's AWS Solutions rules on every synth, as a CDK policy-validation plugin: an
// unacknowledged finding fails `cdk synth` and `cdk deploy`. Every acknowledgment and its
// reason is in lib/nag.ts (and, for single grants, next to the grant in lib/storage.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
