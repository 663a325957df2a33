import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#routes';
import { DATABASE_USERS } from '#platform/route';
import { apiGatewayPath } from '#platform/router';
import { synthesized } from './synthesized';

describe('the CDK stack', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesized('dev').template;
  });

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

  it('lets browsers read Location, Retry-After, Idempotent-Replayed and x-request-id (CORS expose headers)', () => {
    const [api] = Object.values(template.findResources('AWS::ApiGatewayV2::Api'));
    const exposed = (api!.Properties.CorsConfiguration.ExposeHeaders as string[]).map((name) => name.toLowerCase());
    expect(exposed).toEqual(expect.arrayContaining(['location', 'retry-after', 'idempotent-replayed', 'x-request-id']));
  });

  it('puts database functions in the VPC and keeps the others out of it', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const route of routes) {
      const [, fn] = Object.entries(functions).find(([, resource]) => resource.Properties.Description === `${route.method} /api/v1${route.path}`)!;
      expect(Boolean(fn.Properties.VpcConfig), `${route.method} ${route.path}`).toBe(Boolean(route.database));
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
      // End-to-end IAM authentication, and no secret: the proxy can log in as no password user.
      DefaultAuthScheme: 'IAM_AUTH',
      Auth: Match.absent(),
    });
  });

  describe('database users (least privilege)', () => {
    type Resource = { Type: string; Properties: Record<string, any> };
    const resources = () => template.toJSON().Resources as Record<string, Resource>;

    /** The database users a role may connect as: the `/<user>` ending each rds-db:connect resource ARN. */
    function connectUsers(roleId: string): string[] {
      const users: string[] = [];
      for (const policy of Object.values(resources())) {
        if (policy.Type !== 'AWS::IAM::Policy' || !policy.Properties.Roles.some((role: { Ref?: string }) => role.Ref === roleId)) continue;
        for (const statement of policy.Properties.PolicyDocument.Statement) {
          if (![statement.Action].flat().includes('rds-db:connect')) continue;
          for (const arn of [statement.Resource].flat()) {
            const parts: unknown[] = arn['Fn::Join'][1];
            users.push(String(parts.at(-1)).replace(/^.*\//, ''));
          }
        }
      }
      return users.sort();
    }
    const functionCalled = (description: string | RegExp) => {
      const found = Object.values(resources()).filter((resource) => {
        const text = String(resource.Properties.Description ?? '');
        return resource.Type === 'AWS::Lambda::Function' && (typeof description === 'string' ? text === description : description.test(text));
      });
      expect(found, String(description)).toHaveLength(1);
      return found[0]!.Properties;
    };
    const roleOf = (fn: Record<string, any>): string => fn.Role['Fn::GetAtt'][0];

    it("lets each route's function connect as exactly its route's user (rental_reader for read, rental_app for write), with DB_USER to match", () => {
      for (const route of routes) {
        const fn = functionCalled(`${route.method} /api/v1${route.path}`);
        const name = `${route.method} ${route.path}`;
        if (!route.database) {
          expect(connectUsers(roleOf(fn)), name).toEqual([]);
          expect(fn.Environment.Variables.DB_USER, name).toBeUndefined();
          continue;
        }
        expect(connectUsers(roleOf(fn)), name).toEqual([DATABASE_USERS[route.database]]);
        expect(fn.Environment.Variables.DB_USER, name).toBe(DATABASE_USERS[route.database]);
      }
      // The public reads, health included, are read-only.
      for (const path of ['/cars/', '/cars/{id}/', '/landmarks/', '/agencies/{id}/', '/agencies/{id}/reviews/', '/health/']) {
        expect(routes.find((route) => route.method === 'GET' && route.path === path)?.database, path).toBe('read');
      }
    });

    it('lets the jobs connect as rental_app', () => {
      for (const description of [/^Expires unpaid/, /^Moves due notifications/, /^Renders and sends/, /^Queues pickup reminders/]) {
        const fn = functionCalled(description);
        expect(connectUsers(roleOf(fn)), String(description)).toEqual(['rental_app']);
        expect(fn.Environment.Variables.DB_USER).toBe('rental_app');
      }
    });

    it('lets no function but the migration job connect as the master user', () => {
      const everyConnectUser = new Set(
        Object.entries(resources())
          .filter(([, resource]) => resource.Type === 'AWS::IAM::Role')
          .flatMap(([id]) => connectUsers(id)),
      );
      expect([...everyConnectUser].sort()).toEqual(['rental_app', 'rental_reader']);
      // The master user's password is in the cluster secret: only the migration job may read it.
      const [attachment, { Properties: attached }] = Object.entries(resources()).find(
        ([, resource]) => resource.Type === 'AWS::SecretsManager::SecretTargetAttachment',
      )!;
      const clusterSecret = [attachment, attached.SecretId.Ref as string];
      const readers = Object.values(resources())
        .filter((policy) => policy.Type === 'AWS::IAM::Policy')
        .filter((policy) =>
          policy.Properties.PolicyDocument.Statement.some(
            (statement: { Action: string | string[]; Resource: unknown }) =>
              [statement.Action].flat().includes('secretsmanager:GetSecretValue') &&
              clusterSecret.some((id) => JSON.stringify(statement.Resource).includes(`"${id}"`)),
          ),
        )
        .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref));
      expect(readers).toEqual([roleOf(functionCalled(/^Migrates the database/))]);
    });

    it('lets RDS Proxy log in to Aurora as the two application users only', () => {
      const [proxy] = Object.values(resources()).filter((resource) => resource.Type === 'AWS::RDS::DBProxy');
      expect(connectUsers(proxy!.Properties.RoleArn['Fn::GetAtt'][0])).toEqual(['rental_app', 'rental_reader']);
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

  // test/setup/infra.ts ran the CLI (`cdk synth -c stage=<stage>`, credentials blanked) before this file: a failed synth fails the run.
  it('synthesises both stages with the pinned CDK CLI, offline and without credentials', () => {
    for (const stage of ['dev', 'prod'] as const) {
      const { outdir, stackNames } = synthesized(stage);
      const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as { artifacts: Record<string, unknown> };
      expect(Object.keys(manifest.artifacts)).toContain(`PhuketRental-${stage}`);
      expect(stackNames).toEqual([`PhuketRental-${stage}`]);
    }
  });
});
