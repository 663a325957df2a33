import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#routes';
import { RentalStack } from '../../lib/rental-stack';
import { defineStacks } from '../../lib/stacks';
import { stageFromContext, type StageName } from '../../lib/stage';
import { nagFindings, synthesized } from './synthesized';

/**
 * Context `waf=true` (docs/operations.md "WAF"): a web ACL in us-east-1, CloudFront in
 * front of the HTTP API with it, and an origin secret so the execute-api URL cannot be used to
 * go around it. Resources only (bundling skipped), both stacks built as bin/app.ts builds them.
 * Without the context, the stage is the one the CLI synthesised (test/setup/infra.ts).
 */

type Resources = Record<string, { Type: string; Properties: Record<string, any> }>;

const outdirs: string[] = [];
afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

const REGION = 'ap-southeast-1';

function synthesize(stage: StageName, context: Record<string, unknown>) {
  const outdir = mkdtempSync(path.join(os.tmpdir(), `waf-${stage}-`));
  outdirs.push(outdir);
  const app = new App({ outdir, context: { stage, 'aws:cdk:bundling-stacks': [], ...context } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stacks = defineStacks(app, { region: REGION });
  const assembly = app.synth();
  const findings = nagFindings(outdir);
  const template = (stackName: string) => Template.fromJSON(assembly.getStackByName(stackName).template);
  return { stacks, assembly, findings, template };
}

/** The functions API Gateway invokes: the targets of the HTTP API's integrations. */
function apiFunctions(template: Template): Resources {
  const functions = template.findResources('AWS::Lambda::Function') as Resources;
  const targets = Object.values(template.findResources('AWS::ApiGatewayV2::Integration') as Resources).map(
    (integration) => integration.Properties.IntegrationUri['Fn::GetAtt'][0] as string,
  );
  return Object.fromEntries([...new Set(targets)].map((id) => [id, functions[id]!]));
}

describe.each(['dev', 'prod'] as const)('the %s stage with context waf=true', (stage) => {
  let withWaf: ReturnType<typeof synthesize>;
  let main: Template;
  let waf: Template;
  beforeAll(() => {
    withWaf = synthesize(stage, { waf: 'true' });
    main = withWaf.template(`PhuketRental-${stage}`);
    waf = withWaf.template(`PhuketRental-${stage}-waf`);
  }, 120_000);

  it('puts the web ACL in a stack of its own in us-east-1, scoped to CloudFront', () => {
    expect(withWaf.assembly.getStackByName(`PhuketRental-${stage}-waf`).environment.region).toBe('us-east-1');
    expect(withWaf.assembly.getStackByName(`PhuketRental-${stage}`).environment.region).toBe(REGION);
    waf.resourceCountIs('AWS::WAFv2::WebACL', 1);
    waf.hasResourceProperties('AWS::WAFv2::WebACL', { Scope: 'CLOUDFRONT', DefaultAction: { Allow: {} } });
    main.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  it("runs the AWS managed rule groups (common, known bad inputs, IP reputation) and blocks a client IP over the stage's rate", () => {
    const [acl] = Object.values(waf.findResources('AWS::WAFv2::WebACL') as Resources);
    const rules = acl!.Properties.Rules as Array<Record<string, any>>;
    const groups = rules.filter((rule) => rule.Statement.ManagedRuleGroupStatement).map((rule) => rule.Statement.ManagedRuleGroupStatement);
    expect(groups.map((group) => `${group.VendorName}/${group.Name}`).sort()).toEqual([
      'AWS/AWSManagedRulesAmazonIpReputationList',
      'AWS/AWSManagedRulesCommonRuleSet',
      'AWS/AWSManagedRulesKnownBadInputsRuleSet',
    ]);
    for (const rule of rules.filter((rule) => rule.Statement.ManagedRuleGroupStatement)) expect(rule.OverrideAction, rule.Name).toEqual({ None: {} });
    const [rate] = rules.filter((rule) => rule.Statement.RateBasedStatement);
    const settings = stageFromContext(new App({ context: { stage } }).node);
    expect(rate!.Statement.RateBasedStatement).toEqual({ AggregateKeyType: 'IP', Limit: settings.wafRequestsPerIpPer5Minutes, EvaluationWindowSec: 300 });
    expect(rate!.Action.Block.CustomResponse.ResponseCode).toBe(429);
    expect(new Set(rules.map((rule) => rule.Priority)).size).toBe(rules.length);
  });

  it('turns on CloudWatch metrics and sampled requests for the web ACL and every rule', () => {
    const [acl] = Object.values(waf.findResources('AWS::WAFv2::WebACL') as Resources);
    for (const config of [acl!.Properties.VisibilityConfig, ...acl!.Properties.Rules.map((rule: any) => rule.VisibilityConfig)]) {
      expect(config).toMatchObject({ CloudWatchMetricsEnabled: true, SampledRequestsEnabled: true, MetricName: expect.stringContaining(stage) });
    }
  });

  it('serves the API through a CloudFront distribution that uses the web ACL, HTTPS only, every method', () => {
    const distributions = Object.values(main.findResources('AWS::CloudFront::Distribution') as Resources).filter((distribution) =>
      JSON.stringify(distribution.Properties.DistributionConfig.Origins).includes('execute-api'),
    );
    expect(distributions).toHaveLength(1);
    const config = distributions[0]!.Properties.DistributionConfig;
    // The ARN arrives through CDK's cross-region reference: written in us-east-1, read here.
    const [readerId, exportName] = config.WebACLId['Fn::GetAtt'] as [string, string];
    expect((main.findResources('Custom::CrossRegionExportReader') as Resources)[readerId]).toBeDefined();
    const [writer] = Object.values(waf.findResources('Custom::CrossRegionExportWriter') as Resources);
    const [aclId] = Object.keys(waf.findResources('AWS::WAFv2::WebACL'));
    expect(writer!.Properties.WriterProps.exports[exportName]).toEqual({ 'Fn::GetAtt': [aclId, 'Arn'] });
    expect(config.Origins[0].CustomOriginConfig).toMatchObject({ OriginProtocolPolicy: 'https-only' });
    expect(config.DefaultCacheBehavior).toMatchObject({
      ViewerProtocolPolicy: 'https-only',
      AllowedMethods: ['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE'],
    });
    expect(Object.keys(main.findOutputs('*')).some((id) => id.includes('ApiCloudFrontUrl'))).toBe(true);
  });

  it('caches nothing and forwards every viewer header but Host, the query string and cookies to the API', () => {
    const [distribution] = Object.values(main.findResources('AWS::CloudFront::Distribution') as Resources).filter((resource) =>
      JSON.stringify(resource.Properties.DistributionConfig.Origins).includes('execute-api'),
    );
    const behavior = distribution!.Properties.DistributionConfig.DefaultCacheBehavior;
    // AWS managed policies: CachingDisabled and AllViewerExceptHostHeader (Authorization,
    // Idempotency-Key and Stripe-Signature included; Host would make API Gateway answer 403).
    expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
  });

  it('sends the origin header with a value generated into Secrets Manager, never in the template', () => {
    const [distribution] = Object.values(main.findResources('AWS::CloudFront::Distribution') as Resources).filter((resource) =>
      JSON.stringify(resource.Properties.DistributionConfig.Origins).includes('execute-api'),
    );
    const headers = distribution!.Properties.DistributionConfig.Origins[0].OriginCustomHeaders;
    const secrets = main.findResources('AWS::SecretsManager::Secret') as Resources;
    const [secretId] = Object.entries(secrets).find(([id]) => id.includes('OriginVerifySecret'))!;
    expect(secrets[secretId]!.Properties.GenerateSecretString).toMatchObject({ PasswordLength: 48, ExcludePunctuation: true });
    expect(headers).toEqual([{ HeaderName: 'x-origin-verify', HeaderValue: dynamicReference(secretId) }]);
  });

  it('gives every function behind the API (each route and the catch-all) the same secret in ORIGIN_VERIFY_SECRET', () => {
    const secretId = Object.keys(main.findResources('AWS::SecretsManager::Secret')).find((id) => id.includes('OriginVerifySecret'))!;
    const functions = Object.entries(apiFunctions(main));
    expect(functions).toHaveLength(routes.length + 1);
    for (const [id, fn] of functions) expect(fn.Properties.Environment.Variables.ORIGIN_VERIFY_SECRET, id).toEqual(dynamicReference(secretId));
  });

  it('passes cdk-nag AwsSolutions checks on both stacks with no unacknowledged finding', () => {
    expect(withWaf.findings).toEqual([]);
  });
});

describe('without context waf', () => {
  it('has no WAF stack, no distribution in front of the API and no ORIGIN_VERIFY_SECRET', () => {
    const { stackNames, findings, template: main } = synthesized('dev');
    expect(stackNames).toEqual(['PhuketRental-dev']);
    for (const distribution of Object.values(main.findResources('AWS::CloudFront::Distribution') as Resources)) {
      expect(JSON.stringify(distribution.Properties.DistributionConfig.Origins)).not.toContain('execute-api');
    }
    expect(JSON.stringify(main.toJSON())).not.toContain('ORIGIN_VERIFY_SECRET');
    expect(Object.keys(apiFunctions(main))).toHaveLength(routes.length + 1);
    expect(findings).toEqual([]);
  });

  it('refuses context waf=true on a stack given no web ACL, rather than deploy an API that only looks protected', () => {
    const app = new App({ context: { stage: 'dev', waf: 'true', 'aws:cdk:bundling-stacks': [] } });
    expect(() => new RentalStack(app, 'Alone', { stage: stageFromContext(app.node) })).toThrow(/waf=true needs the web ACL/);
  });
});

/** `{{resolve:secretsmanager:<arn>:SecretString:::}}`: CloudFormation reads the value at deploy. */
function dynamicReference(secretId: string) {
  return { 'Fn::Join': ['', ['{{resolve:secretsmanager:', { Ref: secretId }, ':SecretString:::}}']] };
}
