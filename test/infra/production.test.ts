import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#routes';
import { apiGatewayPath } from '#platform/router';
import { SERVICE_NAME } from '../../lib/api-function';
import { acknowledge } from '../../lib/nag';
import { RentalStack } from '../../lib/rental-stack';
import { stageFromContext, type StageName } from '../../lib/stage';
import { routeKey } from '#platform/route';
import { nagFindings, synthesized } from './synthesized';

/**
 * The production-grade properties of the whole stack (issue: production stack), for both
 * stages, read from what the CLI synthesised (test/setup/infra.ts, with cdk-nag as bin/app.ts
 * runs it). Only the tampered stack below is synthesised here: resources only, bundling
 * skipped (aws:cdk:bundling-stacks).
 */

const outdirs: string[] = [];

/** Synthesises one stage with cdk-nag's AWS Solutions pack, as bin/app.ts does, after `tamper` changed it. */
function synthesize(stage: StageName, tamper: (stack: RentalStack) => void) {
  const outdir = mkdtempSync(path.join(os.tmpdir(), `nag-${stage}-`));
  outdirs.push(outdir);
  // Without the CDK's own CloudFormation validation (seconds of WebAssembly): this stack is never deployed.
  const app = new App({ outdir, context: { stage, 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new RentalStack(app, `Prod-${stage}`, { stage: stageFromContext(app.node) });
  tamper(stack);
  let synthError: Error | undefined;
  try {
    app.synth();
  } catch (error) {
    synthError = error as Error;
  }
  return { findings: nagFindings(outdir), synthError };
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

type Resources = Record<string, { Type: string; Properties: Record<string, any>; DependsOn?: string[]; DeletionPolicy?: string }>;

/**
 * Our own functions (ApiFunction names the service in their environment); CDK's custom-resource
 * handlers are not ours, and some carry a description too (the default security group's, with
 * cdk.json's restrictDefaultSecurityGroup).
 */
const ownFunctions = (template: Template) =>
  Object.entries(template.findResources('AWS::Lambda::Function') as Resources).filter(
    ([, fn]) => fn.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === SERVICE_NAME,
  );

/**
 * The only actions any role may hold on Resource "*": AWS defines no resource-level
 * permissions for them (X-Ray's trace upload; the network interfaces Lambda creates in a VPC,
 * i.e. AWSLambdaVPCAccessExecutionRole).
 */
const ACTIONS_WITHOUT_RESOURCE_SCOPE = new Set([
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
]);

function policyStatements(template: Template): Array<{ owner: string; Action: string | string[]; Resource: unknown }> {
  const statements: Array<{ owner: string; Action: string | string[]; Resource: unknown }> = [];
  const resources = { ...template.findResources('AWS::IAM::Policy'), ...template.findResources('AWS::IAM::Role') } as Resources;
  for (const [id, resource] of Object.entries(resources)) {
    const documents = [resource.Properties.PolicyDocument, ...(resource.Properties.Policies ?? []).map((policy: any) => policy.PolicyDocument)];
    for (const document of documents.filter(Boolean)) {
      for (const statement of document.Statement) if (statement.Effect !== 'Deny') statements.push({ owner: id, ...statement });
    }
  }
  return statements;
}

/** The statements of the inline policies attached to one role. */
function statementsOfRole(template: Template, roleId: string) {
  const policies = template.findResources('AWS::IAM::Policy') as Resources;
  return policyStatements(template).filter((statement) => JSON.stringify(policies[statement.owner]?.Properties.Roles ?? []).includes(`"${roleId}"`));
}

describe.each(['dev', 'prod'] as const)('the %s stack', (stage) => {
  let template: Template;
  let findings: string[];
  beforeAll(() => {
    ({ template, findings } = synthesized(stage));
  });

  it('passes cdk-nag AwsSolutions checks with no unacknowledged finding', () => {
    expect(findings).toEqual([]);
  });

  it('grants Resource "*" only for actions AWS offers no resource scoping for, and no wildcard action at all', () => {
    const statements = policyStatements(template);
    expect(statements.length).toBeGreaterThan(50);
    for (const statement of statements) {
      const actions = [statement.Action].flat();
      for (const action of actions) expect(action, `${statement.owner}: ${action}`).not.toMatch(/^\*$|:\*$/);
      const resources = [statement.Resource].flat();
      if (resources.includes('*')) {
        for (const action of actions) expect(ACTIONS_WITHOUT_RESOURCE_SCOPE.has(action), `${statement.owner}: ${action} on *`).toBe(true);
      }
    }
  });

  it('gives every function of ours a role of its own that writes only to its own log group, and active tracing', () => {
    const functions = ownFunctions(template);
    expect(functions.length).toBeGreaterThan(routes.length);
    const roles = new Set<string>();
    for (const [id, fn] of functions) {
      const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
      roles.add(roleId);
      expect(fn.Properties.TracingConfig, id).toEqual({ Mode: 'Active' });
      const role = (template.findResources('AWS::IAM::Role') as Resources)[roleId]!;
      expect(role.Properties.ManagedPolicyArns ?? [], `${id} uses no managed policy`).toEqual([]);
      const logGroupId = fn.Properties.LoggingConfig.LogGroup.Ref as string;
      const logStatements = statementsOfRole(template, roleId).filter((statement) => [statement.Action].flat().some((action) => action.startsWith('logs:')));
      expect(logStatements, id).toHaveLength(1);
      expect(logStatements[0]!.Resource).toEqual({ 'Fn::GetAtt': [logGroupId, 'Arn'] });
    }
    expect(roles.size).toBe(functions.length);
  });

  it('keeps the database in isolated subnets, encrypted, with Performance Insights, and its secret rotating', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', { StorageEncrypted: true, EnableIAMDatabaseAuthentication: true });
    template.hasResourceProperties('AWS::RDS::DBInstance', { EnablePerformanceInsights: true, PubliclyAccessible: false });
    template.hasResourceProperties('AWS::SecretsManager::RotationSchedule', { RotationRules: { ScheduleExpression: 'rate(30 days)' } });
  });

  it('writes a JSON access log line per request, with the request id, route, status and latency', () => {
    const [stageResource] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    const settings = stageResource!.Properties.AccessLogSettings;
    expect(settings.DestinationArn['Fn::GetAtt'][1]).toBe('Arn');
    const format = JSON.parse(settings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
    });
  });

  it('throttles the whole API by default and the Cognito and booking routes tighter, per route', () => {
    const settings = stageFromContext(new App({ context: { stage } }).node);
    const [stageResource] = Object.values(template.findResources('AWS::ApiGatewayV2::Stage') as Resources);
    expect(stageResource!.Properties.DefaultRouteSettings).toEqual({
      ThrottlingRateLimit: settings.throttle.default.rate,
      ThrottlingBurstLimit: settings.throttle.default.burst,
    });
    const routeSettings = stageResource!.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number }>;
    const throttled = routes.filter((route) => route.throttle);
    expect(throttled.map(routeKey).sort()).toEqual(['POST /auth/register/', 'POST /auth/token/', 'POST /auth/token/refresh/', 'POST /bookings/']);
    for (const route of throttled) {
      const limit = settings.throttle[route.throttle!];
      expect(routeSettings[`${route.method} ${apiGatewayPath(route)}`]).toEqual({ ThrottlingRateLimit: limit.rate, ThrottlingBurstLimit: limit.burst });
      expect(limit.rate).toBeLessThan(settings.throttle.default.rate);
    }
  });

  it('alarms on 5xx rate, p99 latency, throttles, job errors, the dead-letter queue, pinned and database connections, into one topic', () => {
    const alarms = template.findResources('AWS::CloudWatch::Alarm') as Resources;
    const ids = Object.keys(alarms).join(' ');
    for (const name of [
      'Api5xxRate',
      'ApiLatencyP99',
      'ApiThrottles',
      'LambdaThrottles',
      'ProxyPinnedConnections',
      'DatabaseConnections',
      'DatabaseAtMaxCapacity',
      'DeadLettersAlarm',
      'ExpireHoldsErrors',
      'ExtendPriceHorizonErrors',
      'SendErrors',
      'DispatchErrors',
      'RemindersErrors',
    ]) {
      expect(ids).toContain(name);
    }
    const [topicId] = Object.keys(template.findResources('AWS::SNS::Topic')).filter((id) => id.includes('AlarmTopic'));
    for (const [id, alarm] of Object.entries(alarms)) {
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topicId }]);
      expect(alarm.Properties.AlarmDescription, id).toContain('Runbook: docs/operations.md');
    }
    const pinned = Object.entries(alarms).find(([id]) => id.includes('ProxyPinned'))![1];
    expect(JSON.stringify(pinned.Properties)).toContain('"MetricName":"DatabaseConnectionsCurrentlySessionPinned","Namespace":"AWS/RDS"');
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });

  it('has every alarm of the stack answered by a runbook entry in docs/operations.md', () => {
    const operations = readFileSync(path.join(import.meta.dirname, '../../docs/operations.md'), 'utf8');
    const runbook = operations.slice(operations.indexOf('## Alarms and what to do'));
    for (const alarm of Object.values(template.findResources('AWS::CloudWatch::Alarm') as Resources)) {
      const entry = /Runbook: docs\/operations\.md, "Alarms and what to do", (\w+)\./.exec(alarm.Properties.AlarmDescription)?.[1];
      if (entry) expect(runbook, entry).toContain(`### ${entry}`);
    }
    expect(runbook).toContain('### DeadLetters');
  });

  it('migrates the database before any function that uses it runs the new code', () => {
    const [triggerId] = Object.keys(template.findResources('Custom::Trigger'));
    for (const [id, fn] of ownFunctions(template)) {
      if (!fn.Properties.VpcConfig || /Migrates the database/.test(fn.Properties.Description)) continue;
      expect(fn.DependsOn ?? [], id).toContain(triggerId);
    }
  });
});

describe('what differs between dev and prod', () => {
  let dev: Template;
  let prod: Template;
  beforeAll(() => {
    dev = synthesized('dev').template;
    prod = synthesized('prod').template;
  });

  it('keeps prod data: deletion protection, snapshot on delete, 14 days of backups, retained logs and buckets', () => {
    prod.hasResource('AWS::RDS::DBCluster', {
      DeletionPolicy: 'Snapshot',
      Properties: Match.objectLike({ DeletionProtection: true, BackupRetentionPeriod: 14 }),
    });
    for (const [id, group] of Object.entries(prod.findResources('AWS::Logs::LogGroup') as Resources)) {
      expect(group.DeletionPolicy, id).toBe('Retain');
      expect(group.Properties.RetentionInDays, id).toBe(90);
    }
    prod.hasResource('AWS::S3::Bucket', { DeletionPolicy: 'Retain' });
  });

  it('lets dev go: no deletion protection, deleted with the stack, one day of backups, a week of logs', () => {
    dev.hasResource('AWS::RDS::DBCluster', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ DeletionProtection: false, BackupRetentionPeriod: 1 }) });
    for (const [id, group] of Object.entries(dev.findResources('AWS::Logs::LogGroup') as Resources)) {
      expect(group.DeletionPolicy, id).toBe('Delete');
      expect(group.Properties.RetentionInDays, id).toBe(7);
    }
  });

  it('scales Aurora to zero and pauses it in dev; prod keeps a warm writer and a reader', () => {
    dev.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0, MaxCapacity: 2, SecondsUntilAutoPause: 600 } });
    prod.hasResourceProperties('AWS::RDS::DBCluster', { ServerlessV2ScalingConfiguration: { MinCapacity: 0.5, MaxCapacity: 16 } });
    dev.resourceCountIs('AWS::RDS::DBInstance', 1);
    prod.resourceCountIs('AWS::RDS::DBInstance', 2);
  });

  it('gives the VPC egress through one NAT instance in dev and a NAT gateway per AZ in prod', () => {
    dev.resourceCountIs('AWS::EC2::NatGateway', 0);
    dev.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't4g.nano',
      SourceDestCheck: false,
      BlockDeviceMappings: [Match.objectLike({ Ebs: Match.objectLike({ Encrypted: true }) })],
    });
    prod.resourceCountIs('AWS::EC2::NatGateway', 2);
    prod.resourceCountIs('AWS::EC2::Instance', 0);
  });
});

describe('cdk-nag in the tests', () => {
  it('fails synth on a finding nobody acknowledged (so the clean result above means something)', () => {
    const { findings, synthError } = synthesize('dev', (stack) => {
      new s3.Bucket(stack, 'UnloggedBucket');
    });
    expect(synthError?.message).toMatch(/AwsSolutions-S10/);
    expect(findings).toEqual(expect.arrayContaining([expect.stringMatching(/^AwsSolutions-S10 .*UnloggedBucket/)]));
  }, 120_000);

  it('refuses an acknowledgment without a real reason', () => {
    const app = new App();
    expect(() => acknowledge(app, 'AwsSolutions-S1', 'ok')).toThrow(/reason/);
  });
});
