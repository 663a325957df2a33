import { Stack, Tags, type StackProps } from 'aws-cdk-lib';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import type { Construct, Node } from 'constructs';
import { problemType } from '../functions/platform/problem';
import type { StageSettings } from './stage';

/** Context `waf=true` (`-c waf=true` or cdk.json): CloudFront and WAF in front of the API. Off by default. */
export function wafFromContext(node: Node): boolean {
  const waf = node.tryGetContext('waf') as boolean | string | undefined;
  return waf === true || waf === 'true';
}

/** Web ACLs for CloudFront can only be created in us-east-1, whatever region the API is in. */
export const WAF_REGION = 'us-east-1';

/** The problem+json WAF answers a rate-limited client with, shaped like the API's own problems. */
const RATE_LIMITED_BODY = JSON.stringify({
  type: problemType('rate-limited'),
  title: 'Too many requests',
  status: 429,
  detail: 'Too many requests from your address; please retry in a few minutes.',
});

/**
 * The web ACL of context `waf=true`, in a small stack of its own in us-east-1 (docs/operations.md,
 * "WAF"). lib/edge.ts attaches it to the CloudFront distribution in front of the HTTP API (WAF
 * cannot be associated with an HTTP API itself); the ARN reaches the main stack through CDK's
 * cross-region references.
 */
export class WafStack extends Stack {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: StackProps & { stage: StageSettings }) {
    super(scope, id, props);
    const { stage } = props;
    Tags.of(this).add('project', 'phuket-rental');
    Tags.of(this).add('stage', stage.name);
    const visibility = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      metricName: `PhuketRental-${stage.name}-${name}`,
      cloudWatchMetricsEnabled: true,
      sampledRequestsEnabled: true,
    });
    const managed = (priority: number, name: string, ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]): wafv2.CfnWebACL.RuleProperty => ({
      name: `AWS-${name}`,
      priority,
      statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ...(ruleActionOverrides ? { ruleActionOverrides } : {}) } },
      overrideAction: { none: {} },
      visibilityConfig: visibility(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'ApiWebAcl', {
      description: `Phuket Rental API ${stage.name} - managed rule groups and a rate limit per client IP`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('ApiWebAcl'),
      customResponseBodies: {
        'rate-limited': { contentType: 'APPLICATION_JSON', content: RATE_LIMITED_BODY },
      },
      rules: [
        managed(0, 'AWSManagedRulesAmazonIpReputationList'),
        {
          name: 'RatePerClientIp',
          priority: 1,
          statement: {
            rateBasedStatement: { aggregateKeyType: 'IP', limit: stage.wafRequestsPerIpPer5Minutes, evaluationWindowSec: 300 },
          },
          action: {
            block: {
              // WAF sets the content type from the body's (application/json) and prefixes any
              // custom header with x-amzn-waf-, so application/problem+json is not possible here.
              customResponse: { responseCode: 429, customResponseBodyKey: 'rate-limited' },
            },
          },
          visibilityConfig: visibility('RatePerClientIp'),
        },
        // SizeRestrictions_BODY blocks bodies over 8 KB: a car description of 5,000 Thai
        // characters is ~15 KB and Stripe's events vary in size. The functions enforce their
        // own limits (64 KiB JSON, 512 KiB webhook: functions/platform/http.ts), so the rule
        // only counts.
        managed(2, 'AWSManagedRulesCommonRuleSet', [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
        managed(3, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
    });
  }
}
