import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as ses from 'aws-cdk-lib/aws-ses';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct, type Node } from 'constructs';
import { CONSUMER_TIMEOUT_SECONDS, MAX_DELIVERY_ATTEMPTS } from '../functions/core/notifications/policy';
import { ApiFunction } from './api-function';
import type { Data } from './data';
import type { StageSettings } from './stage';

/**
 * Notifications (docs/notifications.md): the outbox rows written by the API are moved to
 * an SQS FIFO queue every minute by the dispatcher; the consumer renders and sends each one
 * with SES (SMS with SNS when context smsEnabled=true) and reports only failed messages, which
 * SQS redelivers and, after 5 receives, moves to the dead-letter queue, whose depth raises an
 * alarm. A daily schedule at 08:00 Bangkok queues pickup reminders. Mail is sent from the SES
 * identity of context `sesFromAddress` (default noreply@example.com), and only from it.
 */
export class Notifications extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly dispatcher: ApiFunction;
  readonly consumer: ApiFunction;
  readonly reminders: ApiFunction;
  readonly fromIdentity: ses.EmailIdentity;
  readonly deadLetterAlarm: cloudwatch.Alarm;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; data: Data }) {
    super(scope, id);
    const { stage, data } = props;
    const fromAddress = sesFromAddressFromContext(this.node);
    const smsEnabled = smsEnabledFromContext(this.node);

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetters', {
      fifo: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    // FIFO: MessageDeduplicationId = outbox id drops a row queued twice within 5 minutes (a
    // dispatcher that died after sending); each message is its own group, so none waits on another.
    this.queue = new sqs.Queue(this, 'Queue', {
      fifo: true,
      contentBasedDeduplication: false,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // AWS's advice for Lambda event sources: at least 6 × the function's timeout.
      visibilityTimeout: Duration.seconds(6 * CONSUMER_TIMEOUT_SECONDS),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_DELIVERY_ATTEMPTS },
    });

    const database = { STAGE: stage.name, ...data.clientEnvironment('write') };
    const inVpc = {
      ...data.functionNetwork(),
      stage,
    };

    this.dispatcher = new ApiFunction(this, 'DispatchFn', {
      handlerModule: 'jobs/dispatch-notifications',
      description: 'Moves due notifications from the outbox table to the notifications queue',
      timeout: Duration.seconds(50),
      environment: { ...database, NOTIFICATIONS_QUEUE_URL: this.queue.queueUrl },
      ...inVpc,
    });
    this.queue.grantSendMessages(this.dispatcher);
    new events.Rule(this, 'DispatchEveryMinute', {
      description: 'Dispatch pending notifications',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      targets: [new targets.LambdaFunction(this.dispatcher, { retryAttempts: 0 })],
    });

    this.consumer = new ApiFunction(this, 'SendFn', {
      handlerModule: 'jobs/send-notifications',
      description: 'Renders and sends queued notifications (SES email, SNS SMS)',
      timeout: Duration.seconds(CONSUMER_TIMEOUT_SECONDS),
      environment: {
        ...database,
        EMAIL_FROM: fromAddress,
        SMS_ENABLED: String(smsEnabled),
        // For the backoff: a failed message's visibility timeout is set to the retry delay.
        NOTIFICATIONS_QUEUE_URL: this.queue.queueUrl,
      },
      ...inVpc,
    });
    this.consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        // Bounds the proxy connections and the SES send rate this consumer can use.
        maxConcurrency: 5,
      }),
    );

    this.fromIdentity = new ses.EmailIdentity(this, 'FromIdentity', { identity: ses.Identity.email(fromAddress) });
    this.fromIdentity.grant(this.consumer, 'ses:SendEmail');
    if (smsEnabled) {
      // SMS to phone numbers has no resource to scope to: SNS Publish requires '*'.
      this.consumer.addToRolePolicy(new iam.PolicyStatement({ actions: ['sns:Publish'], resources: ['*'] }));
    }

    this.reminders = new ApiFunction(this, 'RemindersFn', {
      handlerModule: 'jobs/queue-reminders',
      description: 'Queues pickup reminders for confirmed bookings starting tomorrow (Bangkok)',
      timeout: Duration.seconds(60),
      environment: database,
      ...inVpc,
    });
    new events.Rule(this, 'RemindDaily', {
      description: 'Pickup reminders at 08:00 Asia/Bangkok (01:00 UTC)',
      schedule: events.Schedule.cron({ minute: '0', hour: '1' }),
      targets: [new targets.LambdaFunction(this.reminders, { retryAttempts: 2 })],
    });

    for (const fn of this.functions) data.grantConnect(fn, 'write');

    this.deadLetterAlarm = new cloudwatch.Alarm(this, 'DeadLettersAlarm', {
      alarmDescription: `Notifications that failed ${MAX_DELIVERY_ATTEMPTS} deliveries are waiting in the dead-letter queue (docs/notifications.md). Runbook: docs/operations.md, "Alarms and what to do", DeadLetters.`,
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(5), statistic: cloudwatch.Stats.MAXIMUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
  }

  /** Every function that needs the database (the migrations trigger runs before them). */
  get functions(): ApiFunction[] {
    return [this.dispatcher, this.consumer, this.reminders];
  }
}

/** Context `sesFromAddress`: the address notifications are sent from (default noreply@example.com). */
export function sesFromAddressFromContext(node: Node): string {
  const value = (node.tryGetContext('sesFromAddress') as string | undefined) ?? 'noreply@example.com';
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Error(`Context sesFromAddress "${value}" is not an email address`);
  return value;
}

/** Context `smsEnabled` (true/false, default false): SMS through SNS costs money per message. */
function smsEnabledFromContext(node: Node): boolean {
  const value = node.tryGetContext('smsEnabled') as boolean | string | undefined;
  return value === true || value === 'true';
}
