import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Api } from './api';
import { Auth } from './auth';
import { Data } from './data';
import { Jobs } from './jobs';
import { Migrations } from './migrations';
import { suppressNagFindings } from './nag';
import { Notifications } from './notifications';
import { Observability } from './observability';
import type { StageSettings } from './stage';
import { Storage, corsOriginsFromContext } from './storage';

/** The whole backend of one stage: data, auth, migrations, then the API that uses them. */
export class RentalStack extends Stack {
  readonly data: Data;
  readonly auth: Auth;
  readonly storage: Storage;
  readonly api: Api;
  readonly migrations: Migrations;
  readonly stripeSecret: secretsmanager.Secret;
  readonly jobs: Jobs;
  readonly notifications: Notifications;
  readonly observability: Observability;
  readonly stage: StageSettings;

  constructor(scope: Construct, id: string, props: StackProps & { stage: StageSettings }) {
    super(scope, id, props);
    const { stage } = props;
    this.stage = stage;
    refuseWafContext(this.node);
    Tags.of(this).add('project', 'phuket-rental');
    Tags.of(this).add('stage', stage.name);
    this.data = new Data(this, 'Data', stage);
    this.auth = new Auth(this, 'Auth', stage);
    this.migrations = new Migrations(this, 'Migrations', { stage, data: this.data });
    this.storage = new Storage(this, 'Storage', { stage, corsOrigins: corsOriginsFromContext(this.node) });
    // The Stripe keys: {"secret_key": "sk_…", "webhook_secret": "whsec_…"}, set once after the
    // first deploy (docs/operations.md); functions read it at cold start, never from the template.
    this.stripeSecret = new secretsmanager.Secret(this, 'StripeSecret', {
      description: 'Stripe secret key and webhook signing secret (JSON: secret_key, webhook_secret)',
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    new CfnOutput(this, 'StripeSecretArn', { value: this.stripeSecret.secretArn, description: 'put-secret-value {"secret_key","webhook_secret"} here after the first deploy' });
    this.api = new Api(this, 'Api', { stage, data: this.data, auth: this.auth, storage: this.storage, stripeSecret: this.stripeSecret });
    this.jobs = new Jobs(this, 'Jobs', { stage, data: this.data, stripeSecret: this.stripeSecret });
    this.notifications = new Notifications(this, 'Notifications', { stage, data: this.data });
    // Expand/contract: the new schema is in place before any function runs the new code.
    this.migrations.trigger.executeBefore(...this.api.functions.values(), this.jobs.expireHolds, ...this.notifications.functions);
    this.observability = new Observability(this, 'Observability', {
      stage,
      api: this.api,
      data: this.data,
      jobs: [this.jobs.expireHolds, ...this.notifications.functions],
      otherAlarms: [this.notifications.deadLetterAlarm],
      deadLetterQueueDepth: this.notifications.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
    });
    suppressNagFindings(this);
  }
}

/**
 * Context `waf=true` asks for something an HTTP API cannot have: AWS WAF attaches to REST API
 * stages, ALBs, AppSync, Cognito and CloudFront, not to HTTP APIs. Rather than deploy a stack
 * that looks protected and is not, synth stops here; docs/operations.md ("WAF") gives the
 * options (CloudFront + WAF in us-east-1 with an origin secret, or a REST API).
 */
function refuseWafContext(node: Construct['node']): void {
  const waf = node.tryGetContext('waf') as boolean | string | undefined;
  if (waf === true || waf === 'true') {
    throw new Error(
      'Context waf=true: AWS WAF cannot be associated with an API Gateway HTTP API. See docs/operations.md ("WAF") for what protects the API today and the two ways to add WAF.',
    );
  }
}
