import { CfnOutput, RemovalPolicy, Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { Api } from './api';
import { Auth } from './auth';
import { Data } from './data';
import { Edge } from './edge';
import { Jobs } from './jobs';
import { Migrations } from './migrations';
import { suppressNagFindings } from './nag';
import { Notifications } from './notifications';
import { Observability } from './observability';
import type { StageSettings } from './stage';
import { Storage, corsOriginsFromContext } from './storage';
import { wafFromContext } from './waf-stack';

export interface RentalStackProps extends StackProps {
  stage: StageSettings;
  /**
   * Context `waf=true` only: the CloudFront-scope web ACL of lib/waf-stack.ts. The stack then
   * serves the API through CloudFront with it (lib/edge.ts); lib/stacks.ts wires both stacks.
   */
  webAclArn?: string;
}

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
  /** With context `waf=true`: CloudFront and WAF in front of the API. */
  readonly edge?: Edge;
  readonly stage: StageSettings;

  constructor(scope: Construct, id: string, props: RentalStackProps) {
    const { stage, webAclArn, ...stackProps } = props;
    super(scope, id, stackProps);
    this.stage = stage;
    if (wafFromContext(this.node) !== (webAclArn !== undefined)) {
      // Either way the API would look protected and not be, or be slowed by a WAF nobody asked for.
      throw new Error(
        webAclArn === undefined
          ? 'Context waf=true needs the web ACL of the WAF stack in us-east-1: create the stacks with defineStacks (lib/stacks.ts).'
          : 'A web ACL was given but context waf is not true: pass -c waf=true, or no web ACL.',
      );
    }
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
    new CfnOutput(this, 'StripeSecretArn', {
      value: this.stripeSecret.secretArn,
      description: 'put-secret-value {"secret_key","webhook_secret"} here after the first deploy',
    });
    this.api = new Api(this, 'Api', { stage, data: this.data, auth: this.auth, storage: this.storage, stripeSecret: this.stripeSecret });
    if (webAclArn !== undefined) this.edge = new Edge(this, 'Edge', { stage, api: this.api, webAclArn });
    this.jobs = new Jobs(this, 'Jobs', { stage, data: this.data, storage: this.storage, stripeSecret: this.stripeSecret });
    this.notifications = new Notifications(this, 'Notifications', { stage, data: this.data });
    // Expand/contract: the new schema is in place before any function runs the new code.
    this.migrations.trigger.executeBefore(
      ...this.api.functions.values(),
      this.jobs.expireHolds,
      this.jobs.deleteObjects,
      this.jobs.extendPriceHorizon,
      ...this.notifications.functions,
    );
    this.observability = new Observability(this, 'Observability', {
      stage,
      api: this.api,
      data: this.data,
      jobs: [this.jobs.expireHolds, this.jobs.deleteObjects, this.jobs.extendPriceHorizon, ...this.notifications.functions],
      otherAlarms: [this.notifications.deadLetterAlarm],
      deadLetterQueueDepth: this.notifications.deadLetterQueue.metricApproximateNumberOfMessagesVisible(),
    });
    suppressNagFindings(this);
  }
}
