import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ApiFunction } from './api-function';
import type { RentalStack } from './rental-stack';

/**
 * Acknowledges one cdk-nag finding on a construct (and what it contains). cdk-nag 3 runs as a
 * CDK policy-validation plugin (bin/app.ts): an unacknowledged error fails synth and deploy.
 * Findings about a single grant are acknowledged where the grant is made (lib/storage.ts);
 * everything else is here, so this file is the list of accepted deviations and their reasons.
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) throw new Error(`Acknowledging ${id} needs a reason a reviewer can check, not "${reason}"`);
  Validations.of(scope).acknowledge({ id, reason });
}

export function suppressNagFindings(stack: RentalStack): void {
  const { api, auth, data, storage, stripeSecret, stage } = stack;

  for (const fn of stack.node.findAll().filter((node): node is ApiFunction => node instanceof ApiFunction)) {
    acknowledge(
      fn.role!,
      'AwsSolutions-IAM5[Resource::*]',
      fn.isBoundToVpc
        ? "Only actions AWS defines without resource-level permissions: xray:PutTraceSegments/PutTelemetryRecords (active tracing) and the EC2 network-interface actions Lambda needs to place the function in the VPC (the content of AWSLambdaVPCAccessExecutionRole). Logs are scoped to the function's own log group."
        : "Only xray:PutTraceSegments and xray:PutTelemetryRecords (active tracing), which have no resource-level permissions. Logs are scoped to the function's own log group.",
    );
  }

  acknowledge(
    api.httpApi,
    'AwsSolutions-APIG4',
    'Authorization happens in each function (functions/platform/auth.ts, aws-jwt-verify): the HTTP API JWT authorizer does not check token_use, and roles and ownership come from the database, not from token claims. Public routes (search, health, docs, sign-up/sign-in, the signature-verified Stripe webhook, the 404 catch-all) are public by design; test/infra asserts the webhook is the only unauthenticated write besides sign-up/sign-in.',
  );

  acknowledge(
    auth.userPool,
    'AwsSolutions-COG1',
    'The password rule is the one the API contract states: 8+ characters with lower case, upper case and a digit. Symbols are not required (NIST SP 800-63B advises against composition rules); the API throttles /auth/* (lib/throttling.ts) and Cognito locks out repeated failures.',
  );
  acknowledge(
    auth.userPool,
    'AwsSolutions-COG2',
    'MFA is not offered yet to travellers renting for a few days; tokens live 1 hour and refresh tokens 30 days. Revisit for agency admins (docs/operations.md, "Known gaps").',
  );
  acknowledge(
    auth.userPool,
    'AwsSolutions-COG8',
    "Threat protection needs the Plus feature plan (per-MAU price). Our API signs users in server-side, so Cognito would see Lambda addresses rather than the users', which defeats most of its adaptive-authentication signals.",
  );

  acknowledge(
    stripeSecret,
    'AwsSolutions-SMG4',
    'Stripe keys can only be rolled in the Stripe dashboard; Secrets Manager has no rotation function for them. docs/operations.md, "Rotating the Stripe keys", is the manual procedure. The database secret does rotate (lib/data.ts).',
  );

  acknowledge(
    storage.imagesBucket,
    'AwsSolutions-S1',
    'Server access logs would need a second bucket. Reads go through CloudFront (metrics per distribution); writes are presigned PUTs that our functions sign and log with the key and the caller. Turn on CloudTrail S3 data events for a forensic need (docs/operations.md).',
  );
  acknowledge(storage.distribution, 'AwsSolutions-CFR1', 'Geo restriction does not fit: customers are travellers booking from anywhere in the world.');
  acknowledge(
    storage.distribution,
    'AwsSolutions-CFR2',
    'The distribution serves public, immutable car photos from the cache with no compute behind it; WAF (USD 5 per web ACL plus per rule and request) would protect nothing of value here.',
  );
  acknowledge(
    storage.distribution,
    'AwsSolutions-CFR3',
    "Standard logs of public, immutable photos would need a log bucket with ACLs; CloudFront's per-distribution metrics cover operations.",
  );
  acknowledge(
    storage.distribution,
    'AwsSolutions-CFR4',
    'The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the security policy at TLSv1; a minimum of TLSv1.2_2021 requires a custom domain with an ACM certificate (docs/operations.md, "Known gaps").',
  );

  if (stack.edge) {
    // Context waf=true: CloudFront and WAF in front of the API (lib/edge.ts, lib/waf-stack.ts).
    acknowledge(
      stack.edge.originVerifySecret,
      'AwsSolutions-SMG4',
      'A scheduled rotation would change the value behind CloudFront\'s back: the origin header and the functions\' ORIGIN_VERIFY_SECRET are dynamic references, resolved only when CloudFormation updates them. Rotation is a new version plus a deploy that pins it (docs/operations.md, "WAF").',
    );
    acknowledge(stack.edge.distribution, 'AwsSolutions-CFR1', 'Geo restriction does not fit: customers are travellers booking from anywhere in the world.');
    acknowledge(
      stack.edge.distribution,
      'AwsSolutions-CFR3',
      'Every request that reaches the API is in its JSON access log (lib/api.ts), and WAF keeps metrics and sampled requests, with the client address, for every rule; standard logs would need a log bucket with ACLs.',
    );
    acknowledge(
      stack.edge.distribution,
      'AwsSolutions-CFR4',
      'The distribution uses the default *.cloudfront.net certificate, for which CloudFront fixes the security policy at TLSv1; a minimum of TLSv1.2_2021 requires a custom domain with an ACM certificate (docs/operations.md, "Known gaps").',
    );
  }

  if (!stage.retainData) {
    acknowledge(
      data.cluster,
      'AwsSolutions-RDS10',
      'dev is disposable: `cdk destroy` must be able to delete the cluster. prod has deletion protection (asserted in test/infra).',
    );
  }
  for (const instance of data.natInstanceProvider?.gatewayInstances ?? []) {
    acknowledge(
      instance,
      'AwsSolutions-EC28',
      'dev NAT instance: basic 5-minute metrics are enough for a development egress path; detailed monitoring would cost about as much as the instance.',
    );
    acknowledge(
      instance,
      'AwsSolutions-EC29',
      'dev NAT instance: CloudFormation replaces it when the Amazon Linux image changes and `cdk destroy` must delete it, which termination protection would block. prod uses NAT gateways.',
    );
  }
}
