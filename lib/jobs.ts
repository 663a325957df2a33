import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ApiFunction } from './api-function';
import type { Data } from './data';
import type { Storage } from './storage';
import type { StageSettings } from './stage';

/**
 * Scheduled work: every minute, unpaid holds past their 15 minutes expire (and payment tasks are
 * carried out); every 5 minutes, photo objects a request could not remove are removed; daily,
 * search's price rows are extended to the furthest month a search can reach.
 */
export class Jobs extends Construct {
  readonly expireHolds: ApiFunction;
  readonly deleteObjects: ApiFunction;
  readonly extendPriceHorizon: ApiFunction;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; data: Data; storage: Storage; stripeSecret: secretsmanager.ISecret }) {
    super(scope, id);
    const { stage, data } = props;
    this.expireHolds = new ApiFunction(this, 'ExpireHoldsFn', {
      handlerModule: 'jobs/expire-holds',
      description: 'Expires unpaid booking holds and cancels their PaymentIntents',
      timeout: Duration.seconds(50),
      stage,
      ...data.functionNetwork(),
      environment: { STAGE: stage.name, ...data.clientEnvironment('write'), STRIPE_SECRET_ARN: props.stripeSecret.secretArn },
    });
    data.grantConnect(this.expireHolds, 'write');
    props.stripeSecret.grantRead(this.expireHolds);
    new events.Rule(this, 'EveryMinute', {
      description: 'Expire unpaid booking holds',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.expireHolds, { retryAttempts: 0 })],
    });

    this.deleteObjects = new ApiFunction(this, 'DeleteObjectsFn', {
      handlerModule: 'jobs/delete-objects',
      description: 'Removes photo objects whose removal failed when their photo or car was deleted',
      timeout: Duration.seconds(60),
      stage,
      ...data.functionNetwork(),
      environment: { STAGE: stage.name, ...data.clientEnvironment('write'), IMAGES_BUCKET: props.storage.imagesBucket.bucketName },
    });
    data.grantConnect(this.deleteObjects, 'write');
    props.storage.grantImages(this.deleteObjects, ['delete']);
    new events.Rule(this, 'EveryFiveMinutes', {
      description: 'Remove photo objects left behind by a failed removal',
      schedule: events.Schedule.rate(Duration.minutes(5)),
      targets: [new targets.LambdaFunction(this.deleteObjects, { retryAttempts: 0 })],
    });

    this.extendPriceHorizon = new ApiFunction(this, 'ExtendPriceHorizonFn', {
      handlerModule: 'jobs/extend-price-horizon',
      description: "Extends search's price rows of each car to the furthest month a search can reach",
      timeout: Duration.minutes(5),
      stage,
      ...data.functionNetwork(),
      environment: { STAGE: stage.name, ...data.clientEnvironment('write') },
    });
    data.grantConnect(this.extendPriceHorizon, 'write');
    new events.Rule(this, 'Daily', {
      description: "Extend search's price rows (car_price_segments) month by month",
      schedule: events.Schedule.cron({ minute: '30', hour: '17' }), // 00:30 in Bangkok, after the month turns there
      targets: [new targets.LambdaFunction(this.extendPriceHorizon, { retryAttempts: 2 })],
    });
  }
}
