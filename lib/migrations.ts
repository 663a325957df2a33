import { Duration } from 'aws-cdk-lib';
import * as triggers from 'aws-cdk-lib/triggers';
import { Construct } from 'constructs';
import { ApiFunction } from './api-function';
import type { Data } from './data';
import type { StageSettings } from './stage';

/** Amazon's root CAs (RDS included) as the Lambda Node.js runtime ships them. */
export const LAMBDA_CA_BUNDLE = '/var/runtime/ca-cert.pem';

/**
 * Migrations on deploy: a Trigger runs functions/jobs/migrate.ts after the cluster (and its
 * proxy) exists and before the API functions are updated, whenever the migrations change. It uses
 * the writer endpoint and the cluster secret (the master user, the owner of the schema): the
 * only function that may; a failure fails (and rolls back) the deploy.
 */
export class Migrations extends Construct {
  readonly trigger: triggers.Trigger;
  readonly fn: ApiFunction;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; data: Data }) {
    super(scope, id);
    const { data, stage } = props;
    this.fn = new ApiFunction(this, 'MigrateFn', {
      handlerModule: 'jobs/migrate',
      description: 'Migrates the database to the latest schema (writer endpoint)',
      timeout: Duration.minutes(10),
      stage,
      ...data.functionNetwork(),
      environment: {
        DB_SECRET_ARN: data.cluster.secret!.secretArn,
        DB_NAME: data.databaseName,
        // The writer endpoint's certificate is signed by the RDS CA, which Node's own store lacks
        // (RDS Proxy's is public, so the API functions need nothing). Since Node.js 20 Lambda ships
        // Amazon's CAs, the RDS ones included, in this file but no longer loads it by default: load
        // it here, where it costs one cold start per deploy, so migrate.ts can verify the server.
        NODE_EXTRA_CA_CERTS: LAMBDA_CA_BUNDLE,
      },
    });
    data.cluster.secret!.grantRead(this.fn);
    this.trigger = new triggers.Trigger(this, 'Migrate', {
      handler: this.fn,
      executeAfter: [data.cluster],
      executeOnHandlerChange: true,
      timeout: Duration.minutes(10),
    });
  }
}
