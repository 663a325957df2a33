import { Duration } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ApiFunction } from './api-function';
import type { Data } from './data';
import type { StageSettings } from './stage';

/** Scheduled work: every minute, unpaid holds past their 15 minutes expire. */
export class Jobs extends Construct {
  readonly expireHolds: ApiFunction;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; data: Data; stripeSecret: secretsmanager.ISecret }) {
    super(scope, id);
    const { stage, data } = props;
    this.expireHolds = new ApiFunction(this, 'ExpireHoldsFn', {
      handlerModule: 'jobs/expire-holds',
      description: 'Expires unpaid booking holds and cancels their PaymentIntents',
      timeout: Duration.seconds(50),
      stage,
      vpc: data.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [data.functionsSecurityGroup],
      environment: { STAGE: stage.name, ...data.clientEnvironment('write'), STRIPE_SECRET_ARN: props.stripeSecret.secretArn },
    });
    data.grantConnect(this.expireHolds, 'write');
    props.stripeSecret.grantRead(this.expireHolds);
    new events.Rule(this, 'EveryMinute', {
      description: 'Expire unpaid booking holds',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.expireHolds, { retryAttempts: 0 })],
    });
  }
}
