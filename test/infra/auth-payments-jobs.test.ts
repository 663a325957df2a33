import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#routes';
import { synthesized } from './synthesized';

const functionOf = (template: Template, description: string | RegExp) => {
  const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, resource]) =>
    typeof description === 'string' ? resource.Properties.Description === description : description.test(resource.Properties.Description ?? ''),
  );
  expect(found, String(description)).toHaveLength(1);
  return found[0]!;
};

interface PolicyProperties {
  Roles: unknown;
  PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> };
}

const roleOf = (template: Template, functionLogicalId: string) => {
  const [, fn] = Object.entries(template.findResources('AWS::Lambda::Function')).find(([id]) => id === functionLogicalId)!;
  return fn.Properties.Role['Fn::GetAtt'][0] as string;
};

const policyText = (template: Template, functionLogicalId: string) => {
  const roleId = roleOf(template, functionLogicalId);
  return JSON.stringify(
    Object.values(template.findResources('AWS::IAM::Policy')).filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`)),
  );
};

describe('Cognito', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesized('prod').template;
  });

  it('signs users in by email with a strong password policy, protected from deletion in prod', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      UsernameAttributes: ['email'],
      Policies: { PasswordPolicy: Match.objectLike({ MinimumLength: 8, RequireLowercase: true, RequireUppercase: true, RequireNumbers: true }) },
      DeletionProtection: 'ACTIVE',
    });
  });

  it('is on the Lite feature plan, billed per active user at the lowest rate', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', { UserPoolTier: 'LITE' });
  });

  it('refuses self sign-up: only the admin API creates users (AllowAdminCreateUserOnly)', () => {
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      AdminCreateUserConfig: Match.objectLike({ AllowAdminCreateUserOnly: true }),
    });
  });

  it('has an app client for USER_PASSWORD_AUTH and refresh, and the two role groups', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolClient', {
      ExplicitAuthFlows: Match.arrayWith(['ALLOW_USER_PASSWORD_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH']),
      GenerateSecret: false,
    });
    for (const group of ['customers', 'agency_admins']) template.hasResourceProperties('AWS::Cognito::UserPoolGroup', { GroupName: group });
  });

  it('grants the registration function exactly the admin actions it calls, on the user pool, and no sign-up action', () => {
    const [registerId] = functionOf(template, 'POST /api/v1/auth/register/');
    const cognitoActions = (Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: PolicyProperties }>)
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleOf(template, registerId)}"`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement) => [statement.Action].flat().some((action) => action.startsWith('cognito-idp:')));
    expect(cognitoActions).toHaveLength(1);
    expect([cognitoActions[0]!.Action].flat().sort()).toEqual([
      'cognito-idp:AdminAddUserToGroup',
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminDeleteUser',
      'cognito-idp:AdminSetUserPassword',
    ]);
    expect(cognitoActions[0]).toMatchObject({ Effect: 'Allow', Resource: { 'Fn::GetAtt': [expect.stringMatching(/Users/), 'Arn'] } });
  });

  it('lets only the registration function administer users, and the verification function only mark an address verified', () => {
    const [verifyId] = functionOf(template, 'POST /api/v1/auth/verify/');
    const verifyActions = (Object.values(template.findResources('AWS::IAM::Policy')) as Array<{ Properties: PolicyProperties }>)
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleOf(template, verifyId)}"`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .flatMap((statement) => [statement.Action].flat())
      .filter((action) => action.startsWith('cognito-idp:'));
    expect(verifyActions).toEqual(['cognito-idp:AdminUpdateUserAttributes']);
    for (const route of routes.filter((candidate) => !['/auth/register/', '/auth/verify/'].includes(candidate.path))) {
      const [id] = functionOf(template, `${route.method} /api/v1${route.path}`);
      expect(policyText(template, id), `${route.method} ${route.path}`).not.toContain('cognito-idp:');
    }
  });
});

describe('payments and scheduled jobs', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesized('dev').template;
  });

  it('keeps the Stripe keys in Secrets Manager and hands the ARN only to functions that take payments', () => {
    const secrets = template.findResources('AWS::SecretsManager::Secret', { Properties: { Description: Match.stringLikeRegexp('Stripe') } });
    expect(Object.keys(secrets)).toHaveLength(1);
    for (const route of routes) {
      const [id, fn] = functionOf(template, `${route.method} /api/v1${route.path}`);
      const variables = fn.Properties.Environment.Variables as Record<string, unknown>;
      const takesPayments = route.uses?.includes('payments') ?? false;
      expect('STRIPE_SECRET_ARN' in variables, `${route.method} ${route.path}`).toBe(takesPayments);
      expect(policyText(template, id).includes('secretsmanager:GetSecretValue'), `${route.method} ${route.path}`).toBe(takesPayments);
    }
    expect(routes.find((route) => route.path === '/payments/webhook/')?.uses).toContain('payments');
  });

  it('runs the hold expiry every minute, in the VPC, with the Stripe secret', () => {
    const [id, fn] = functionOf(template, /Expires unpaid booking holds/);
    expect(fn.Properties.VpcConfig).toBeDefined();
    expect(fn.Properties.Environment.Variables).toMatchObject({ DB_IAM_AUTH: 'true', STRIPE_SECRET_ARN: expect.anything() });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } })],
    });
  });

  it('removes left-behind photo objects every 5 minutes, in the VPC, allowed to delete photos and uploads only', () => {
    const [id, fn] = functionOf(template, /Removes photo objects/);
    expect(fn.Properties.VpcConfig).toBeDefined();
    expect(fn.Properties.Environment.Variables).toMatchObject({ DB_IAM_AUTH: 'true', IMAGES_BUCKET: expect.anything() });
    expect('STRIPE_SECRET_ARN' in fn.Properties.Environment.Variables).toBe(false);
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(5 minutes)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [id, 'Arn'] } })],
    });
    const policy = policyText(template, id);
    expect(policy).toContain('s3:DeleteObject');
    expect(policy).not.toMatch(/s3:(PutObject|GetObject)/);
  });

  it('leaves the Stripe webhook as the only unauthenticated route that writes', () => {
    const publicWrites = routes.filter((route) => route.method !== 'GET' && (route.access === 'public' || route.access === 'stripe'));
    // Registration and sign-in create credentials, not data of others; verification takes a code
    // only the address's owner has (resend sends one, to that address only); the webhook is
    // verified by signature.
    expect(publicWrites.map((route) => route.path).sort()).toEqual([
      '/auth/register/',
      '/auth/token/',
      '/auth/token/refresh/',
      '/auth/verify/',
      '/auth/verify/resend/',
      '/payments/webhook/',
    ]);
    expect(routes.find((route) => route.path === '/payments/webhook/')?.rawBody).toBe(true);
  });
});
