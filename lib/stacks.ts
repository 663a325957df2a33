import type { App } from 'aws-cdk-lib';
import { RentalStack } from './rental-stack';
import { stageFromContext } from './stage';
import { WAF_REGION, WafStack, wafFromContext } from './waf-stack';

/**
 * The stacks of one stage, from the context: `PhuketRental-<stage>` in the API's region and,
 * with `waf=true`, `PhuketRental-<stage>-waf` in us-east-1 holding the web ACL. bin/app.ts and
 * the tests build the app through here, so both see the same wiring.
 */
export function defineStacks(app: App, env: { account?: string; region: string }): { rental: RentalStack; waf?: WafStack } {
  const stage = stageFromContext(app.node);
  const name = `PhuketRental-${stage.name}`;
  const waf = wafFromContext(app.node)
    ? new WafStack(app, `${name}-waf`, {
        stage,
        env: { account: env.account, region: WAF_REGION },
        // The web ACL's ARN goes to the main stack through SSM parameters that CDK writes in
        // us-east-1 and reads from the API's region (custom resources on both sides).
        crossRegionReferences: true,
        description: `Phuket Rental API (${stage.name}): WAF web ACL for CloudFront`,
      })
    : undefined;
  const rental = new RentalStack(app, name, {
    stage,
    env,
    description: `Phuket Rental API (${stage.name})`,
    ...(waf ? { webAclArn: waf.webAcl.attrArn, crossRegionReferences: true } : {}),
  });
  return { rental, ...(waf ? { waf } : {}) };
}
