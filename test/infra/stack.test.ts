import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#routes';
import { apiGatewayPath } from '#platform/router';
import { PROJECT_ROOT } from '../../lib/api-function';
import { RentalStack } from '../../lib/rental-stack';
import { stageFromContext } from '../../lib/stage';

function synthesize(stage: 'dev' | 'prod'): Template {
  const app = new App({ context: { stage } });
  const stack = new RentalStack(app, `Test-${stage}`, { stage: stageFromContext(app.node) });
  return Template.fromStack(stack);
}

describe('the CDK stack', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize('dev');
  }, 300_000);

  it('makes one Node.js 24 arm64 function per route of the table', () => {
    for (const route of routes) {
      template.hasResourceProperties('AWS::Lambda::Function', {
        Description: `${route.method} /api/v1${route.path}`,
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
      });
    }
  });

  it('routes each table entry to its function, and everything else to the catch-all', () => {
    for (const route of routes) {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: `${route.method} ${apiGatewayPath(route)}` });
    }
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', { RouteKey: '$default' });
    const declared = routes.length + 1;
    expect(Object.keys(template.findResources('AWS::ApiGatewayV2::Route'))).toHaveLength(declared);
  });

  it('puts database functions in the VPC and keeps the others out of it', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const route of routes) {
      const [, fn] = Object.entries(functions).find(([, resource]) => resource.Properties.Description === `${route.method} /api/v1${route.path}`)!;
      expect(Boolean(fn.Properties.VpcConfig), `${route.method} ${route.path}`).toBe(route.database);
      if (route.database) {
        expect(fn.Properties.Environment.Variables).toMatchObject({ DB_IAM_AUTH: 'true', DB_HOST: expect.anything() });
      }
    }
  });

  it('fronts Aurora PostgreSQL Serverless v2 with an RDS Proxy that requires TLS and IAM auth', () => {
    template.hasResourceProperties('AWS::RDS::DBCluster', {
      Engine: 'aurora-postgresql',
      ServerlessV2ScalingConfiguration: Match.objectLike({ MinCapacity: 0 }),
      StorageEncrypted: true,
    });
    template.hasResourceProperties('AWS::RDS::DBProxy', {
      EngineFamily: 'POSTGRESQL',
      RequireTLS: true,
      Auth: [Match.objectLike({ IAMAuth: 'REQUIRED' })],
    });
  });

  it('runs migrations on deploy against the writer endpoint, before the API functions', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Migrates the database'),
      Environment: { Variables: Match.objectLike({ DB_SECRET_ARN: Match.anyValue() }) },
    });
    const triggers = template.findResources('Custom::Trigger');
    expect(Object.keys(triggers)).toHaveLength(1);
  });

  it('synthesises both stages with the pinned CDK CLI, offline and without credentials', async () => {
    const outdir = mkdtempSync(path.join(os.tmpdir(), 'cdk-out-'));
    try {
      for (const stage of ['dev', 'prod']) {
        await promisify(execFile)('npx', ['cdk', 'synth', '--quiet', '-c', `stage=${stage}`, '-o', outdir], {
          cwd: PROJECT_ROOT,
          env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', CDK_DISABLE_VERSION_CHECK: '1' },
          timeout: 240_000,
        });
        const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, unknown> };
        expect(Object.keys(manifest.artifacts)).toContain(`PhuketRental-${stage}`);
      }
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  }, 300_000);
});
