import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { routes } from '#routes';
import { RentalStack } from '../../lib/rental-stack';
import { stageFromContext } from '../../lib/stage';
import { synthesized } from './synthesized';

/**
 * Another context than the CLI's, synthesised here without bundling the functions
 * (aws:cdk:bundling-stacks) and without the CDK's own CloudFormation validation (seconds of
 * WebAssembly per process; the CLI's synth validates the stack): these tests look at resources only.
 */
function synthesize(stage: 'dev' | 'prod', context: Record<string, unknown>): Template {
  const app = new App({ context: { stage, 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const stack = new RentalStack(app, `Storage-${stage}`, { stage: stageFromContext(app.node) });
  return Template.fromStack(stack);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();
const imageRoutes = routes.filter((route) => route.uses?.includes('images-bucket'));
const routeCalled = (path: string, method: string) => routes.find((route) => route.path === path && route.method === method)!;

describe('the images bucket and its CDN', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesized('dev').template;
  });

  function bucket() {
    const buckets = Object.entries(template.findResources('AWS::S3::Bucket', { Properties: { LifecycleConfiguration: Match.anyValue() } }));
    expect(buckets).toHaveLength(1);
    const [id, resource] = buckets[0]!;
    return { id, properties: resource.Properties, resource };
  }

  function bucketPolicy(): Statement[] {
    const { id } = bucket();
    const policies = Object.values(template.findResources('AWS::S3::BucketPolicy')).filter(
      (policy) => JSON.stringify(policy.Properties.Bucket) === JSON.stringify({ Ref: id }),
    );
    expect(policies).toHaveLength(1);
    return policies[0]!.Properties.PolicyDocument.Statement;
  }

  /** Every IAM statement attached to the role of the function serving this route. */
  function statementsOfRoute(method: string, path: string): Statement[] {
    const functions = template.findResources('AWS::Lambda::Function', { Properties: { Description: `${method} /api/v1${path}` } });
    const [fn] = Object.values(functions);
    expect(fn, `${method} ${path}`).toBeDefined();
    const roleId = fn!.Properties.Role['Fn::GetAtt'][0] as string;
    return Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  }

  /** The S3 statements of a function as "action on resource-suffix" lines, e.g. "s3:PutObject pending/*". */
  function s3Grants(method: string, path: string): string[] {
    const { id } = bucket();
    const grants: string[] = [];
    for (const statement of statementsOfRoute(method, path)) {
      const s3Actions = actionsOf(statement).filter((action) => action.startsWith('s3:'));
      if (s3Actions.length === 0) continue;
      expect(statement.Effect).toBe('Allow');
      for (const resource of [statement.Resource].flat()) {
        const text = JSON.stringify(resource);
        expect(text, 'every S3 grant is on the images bucket').toContain(id);
        const suffix = text.match(/"\/([^"]*)"\]\]\}$/)?.[1] ?? '(bucket)';
        for (const action of s3Actions) grants.push(`${action} ${suffix}`);
      }
    }
    return grants;
  }

  it('blocks every kind of public access and encrypts objects with S3-managed keys', () => {
    expect(bucket().properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] },
    });
  });

  it('refuses any request that is not over TLS', () => {
    const denial = bucketPolicy().find((statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Condition ?? {}).includes('aws:SecureTransport'));
    expect(denial).toMatchObject({ Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } }, Principal: { AWS: '*' } });
  });

  it('expires uploads never confirmed (pending/) after one day and aborts incomplete multipart uploads after one day', () => {
    const rules = bucket().properties.LifecycleConfiguration.Rules;
    expect(rules).toContainEqual(expect.objectContaining({ Prefix: 'pending/', ExpirationInDays: 1, Status: 'Enabled' }));
    expect(rules).toContainEqual(expect.objectContaining({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }));
    // No rule expires the confirmed photos.
    for (const rule of rules) if (rule.ExpirationInDays) expect(rule.Prefix).toBe('pending/');
  });

  it('lets browsers PUT from any origin by default, and only from the origins given in context corsOrigins', () => {
    expect(bucket().properties.CorsConfiguration.CorsRules).toEqual([expect.objectContaining({ AllowedMethods: ['PUT'], AllowedOrigins: ['*'] })]);
    for (const corsOrigins of [['https://app.example.com', 'https://admin.example.com'], 'https://app.example.com,https://admin.example.com']) {
      const restricted = synthesize('dev', { corsOrigins });
      const [resource] = Object.values(restricted.findResources('AWS::S3::Bucket', { Properties: { CorsConfiguration: Match.anyValue() } }));
      expect(resource!.Properties.CorsConfiguration.CorsRules[0].AllowedOrigins).toEqual(['https://app.example.com', 'https://admin.example.com']);
    }
  }, 120_000);

  it('serves photos through CloudFront over HTTPS with Origin Access Control and nosniff, and never serves pending uploads', () => {
    template.hasResourceProperties('AWS::CloudFront::OriginAccessControl', {
      OriginAccessControlConfig: Match.objectLike({ OriginAccessControlOriginType: 's3', SigningBehavior: 'always', SigningProtocol: 'sigv4' }),
    });
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({
        Enabled: true,
        DefaultCacheBehavior: Match.objectLike({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] }),
        Origins: [Match.objectLike({ OriginAccessControlId: Match.anyValue(), S3OriginConfig: { OriginAccessIdentity: '' } })],
      }),
    });
    const [policyId] = Object.keys(
      template.findResources('AWS::CloudFront::ResponseHeadersPolicy', {
        Properties: {
          ResponseHeadersPolicyConfig: Match.objectLike({
            SecurityHeadersConfig: Match.objectLike({ ContentTypeOptions: { Override: true } }),
          }),
        },
      }),
    );
    expect(policyId, 'a response headers policy sending X-Content-Type-Options: nosniff').toBeDefined();
    template.hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: Match.objectLike({ DefaultCacheBehavior: Match.objectLike({ ResponseHeadersPolicyId: { Ref: policyId } }) }),
    });
    const statements = bucketPolicy();
    const read = statements.find((statement) => statement.Effect === 'Allow' && JSON.stringify(statement.Principal).includes('cloudfront.amazonaws.com'));
    expect(read).toMatchObject({ Action: 's3:GetObject', Condition: { StringEquals: { 'AWS:SourceArn': expect.anything() } } });
    const hidden = statements.find((statement) => statement.Effect === 'Deny' && JSON.stringify(statement.Principal).includes('cloudfront.amazonaws.com'));
    expect(hidden).toMatchObject({ Action: 's3:GetObject' });
    expect(JSON.stringify(hidden!.Resource)).toContain('/pending/*');
  });

  it('gives the photo functions IMAGES_BUCKET and the CloudFront https base URL, and no bucket to the others', () => {
    expect(imageRoutes.map((route) => `${route.method} ${route.path}`).sort()).toEqual([
      'DELETE /agency/cars/{id}/',
      'DELETE /agency/cars/{id}/images/{image_id}/',
      'POST /agency/cars/{id}/images/',
      'POST /agency/cars/{id}/images/{image_id}/confirm/',
    ]);
    const [distributionId] = Object.keys(template.findResources('AWS::CloudFront::Distribution'));
    const { id: bucketId } = bucket();
    for (const route of routes) {
      const [fn] = Object.values(template.findResources('AWS::Lambda::Function', { Properties: { Description: `${route.method} /api/v1${route.path}` } }));
      const variables = fn!.Properties.Environment.Variables;
      expect(variables.IMAGES_PUBLIC_BASE_URL, `${route.method} ${route.path}`).toEqual({
        'Fn::Join': ['', ['https://', { 'Fn::GetAtt': [distributionId, 'DomainName'] }]],
      });
      if (imageRoutes.includes(route)) expect(variables.IMAGES_BUCKET).toEqual({ Ref: bucketId });
      else expect(variables.IMAGES_BUCKET, `${route.method} ${route.path}`).toBeUndefined();
    }
  });

  it('grants no s3:* wildcard action to any role', () => {
    for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
      for (const statement of policy.Properties.PolicyDocument.Statement as Statement[]) {
        expect(actionsOf(statement)).not.toContain('s3:*');
        expect(actionsOf(statement)).not.toContain('*');
      }
    }
    for (const route of routes.filter((candidate) => !imageRoutes.includes(candidate))) {
      expect(s3Grants(route.method, route.path), `${route.method} ${route.path}`).toEqual([]);
    }
  });

  it('lets the upload function only sign PUTs under pending/', () => {
    const route = routeCalled('/agency/cars/{id}/images/', 'POST');
    const grants = s3Grants(route.method, route.path);
    expect(grants).toContain('s3:PutObject pending/*');
    expect(grants.every((grant) => grant.endsWith(' pending/*'))).toBe(true);
    expect(grants.some((grant) => /s3:(GetObject|DeleteObject)/.test(grant))).toBe(false);
  });

  it('lets the confirm function only read and remove uploads, write photos under agencies/, and list (for 404s)', () => {
    const route = routeCalled('/agency/cars/{id}/images/{image_id}/confirm/', 'POST');
    const grants = s3Grants(route.method, route.path);
    // A ranged GetObject of the upload's first bytes, CopyObject to agencies/, DeleteObjects of the upload.
    expect(grants.sort()).toEqual(['s3:DeleteObject pending/*', 's3:GetObject pending/*', 's3:ListBucket (bucket)', 's3:PutObject agencies/*']);
  });

  it('lets the delete functions only delete, photos and uploads alike', () => {
    for (const route of [routeCalled('/agency/cars/{id}/', 'DELETE'), routeCalled('/agency/cars/{id}/images/{image_id}/', 'DELETE')]) {
      const grants = s3Grants(route.method, route.path);
      expect(grants.sort()).toEqual(['s3:DeleteObject* agencies/*', 's3:DeleteObject* pending/*']);
    }
  });

  it('reaches S3 from inside the VPC through a gateway endpoint', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('\\.s3$')])] }),
    });
  });

  it('deletes the bucket with its objects in dev and retains it in prod', () => {
    expect(bucket().resource).toMatchObject({ DeletionPolicy: 'Delete', UpdateReplacePolicy: 'Delete' });
    expect(Object.keys(template.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(1);

    const prod = synthesized('prod').template;
    const [resource] = Object.values(prod.findResources('AWS::S3::Bucket', { Properties: { LifecycleConfiguration: Match.anyValue() } }));
    expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    expect(Object.keys(prod.findResources('Custom::S3AutoDeleteObjects'))).toHaveLength(0);
  });
});
