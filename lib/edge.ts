import { CfnOutput, RemovalPolicy, SecretValue, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, type Node } from 'constructs';
import { ORIGIN_VERIFY_HEADER } from '../functions/platform/origin-verify';
import type { Api } from './api';
import type { StageSettings } from './stage';

/**
 * Context `waf=true`: a CloudFront distribution in front of the HTTP API with the web ACL of
 * lib/waf-stack.ts attached, because WAF cannot be associated with an HTTP API. Nothing is
 * cached and every viewer header but Host reaches the API (Authorization, Idempotency-Key,
 * Stripe-Signature …), as does the query string and the body.
 *
 * The execute-api URL stays reachable, so CloudFront adds a header with a generated secret and
 * every API function refuses requests without it (functions/platform/origin-verify.ts): going
 * around WAF gets a 403. The value never appears in the template: both the header and the
 * functions' ORIGIN_VERIFY_SECRET are CloudFormation dynamic references, resolved at deploy.
 */
export class Edge extends Construct {
  readonly distribution: cloudfront.Distribution;
  readonly originVerifySecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; api: Api; webAclArn: string }) {
    super(scope, id);
    const { stage, api, webAclArn } = props;
    const stack = Stack.of(this);

    this.originVerifySecret = new secretsmanager.Secret(this, 'OriginVerifySecret', {
      description: `Value of the ${ORIGIN_VERIFY_HEADER} header CloudFront sends to the API (docs/operations.md, "WAF")`,
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
      // Nothing to keep: a new stack generates a new value for both ends.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A dynamic reference is resolved when CloudFormation updates the resource that holds it,
    // not when the secret changes: rotating pins the new version (docs/operations.md, "WAF").
    const versionId = originSecretVersionFromContext(this.node);
    const secretValue = SecretValue.secretsManager(this.originVerifySecret.secretArn, versionId ? { versionId } : {});
    // unsafeUnwrap renders the {{resolve:secretsmanager:…}} reference, not the value.
    const originVerifyValue = secretValue.unsafeUnwrap();

    this.distribution = new cloudfront.Distribution(this, 'ApiCdn', {
      comment: `Phuket Rental API behind WAF (${stage.name})`,
      webAclId: webAclArn,
      defaultBehavior: {
        origin: new origins.HttpOrigin(`${api.httpApi.apiId}.execute-api.${stack.region}.${stack.urlSuffix}`, {
          protocolPolicy: cloudfront.OriginProtocolPolicy.HTTPS_ONLY,
          // CloudFront replaces a header of the same name sent by a viewer.
          customHeaders: { [ORIGIN_VERIFY_HEADER]: originVerifyValue },
        }),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.HTTPS_ONLY,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_ALL,
        cachePolicy: cloudfront.CachePolicy.CACHING_DISABLED,
        // Host must be the execute-api domain for API Gateway to find the API.
        originRequestPolicy: cloudfront.OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
      },
      // As the photos' distribution (lib/storage.ts): class 100 would serve Thailand from far away.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });

    for (const fn of [...api.functions.values(), api.notFoundFunction]) {
      fn.addEnvironment('ORIGIN_VERIFY_SECRET', originVerifyValue);
    }
    new CfnOutput(this, 'ApiCloudFrontUrl', {
      value: `https://${this.distribution.distributionDomainName}/api/v1/`,
      description: 'The API behind WAF: clients and the Stripe webhook endpoint use this URL (the execute-api one answers 403)',
    });
    new CfnOutput(this, 'OriginVerifySecretArn', {
      value: this.originVerifySecret.secretArn,
      description: 'The origin header secret; rotate it as docs/operations.md ("WAF") says, never by changing it alone',
    });
  }
}

/** Context `originSecretVersion`: the Secrets Manager version id of the origin secret to deploy (rotation). */
function originSecretVersionFromContext(node: Node): string | undefined {
  const value = node.tryGetContext('originSecretVersion') as string | undefined;
  return value === undefined || value === '' ? undefined : String(value);
}
