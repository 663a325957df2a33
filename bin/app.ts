import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { defineStacks } from '../lib/stacks';

const app = new App();
// Region and account come from the deploying profile; synth needs neither. With -c waf=true
// a second, small stack goes to us-east-1 (lib/stacks.ts).
defineStacks(app, { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION ?? 'ap-southeast-1' });
// cdk-nag's AWS Solutions rules on every synth, as a CDK policy-validation plugin: an
// unacknowledged finding fails `cdk synth` and `cdk deploy`. Every acknowledgment and its
// reason is in lib/nag.ts (and, for single grants, next to the grant in lib/storage.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
