import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct, type Node } from 'constructs';
import { PHOTO_PREFIX, UPLOAD_PREFIX } from '../functions/core/cars/image-keys';
import type { ImagesBucketAccess } from '../functions/platform/route';
import { acknowledge } from './nag';
import type { StageSettings } from './stage';

/**
 * Car photos: a private bucket the clients upload to with presigned PUTs, and a CloudFront
 * distribution that serves the confirmed photos through Origin Access Control (the bucket
 * itself is never public). Uploads land under `pending/`; confirming copies them to
 * `agencies/…`; a lifecycle rule removes whatever is left under `pending/` after a day.
 * docs/images.md has the whole story.
 */
export class Storage extends Construct {
  readonly imagesBucket: s3.Bucket;
  readonly distribution: cloudfront.Distribution;
  /** Where ready photos are served: `${imagesPublicBaseUrl}/${key}`. */
  readonly imagesPublicBaseUrl: string;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; corsOrigins: string[] }) {
    super(scope, id);
    const { stage } = props;

    this.imagesBucket = new s3.Bucket(this, 'Images', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      cors: [
        {
          // Browsers PUT the photo straight to the presigned URL.
          allowedMethods: [s3.HttpMethods.PUT],
          allowedOrigins: props.corsOrigins,
          allowedHeaders: ['content-type', 'content-length'],
          exposedHeaders: ['etag'],
          maxAge: 3000,
        },
      ],
      lifecycleRules: [
        { id: 'abort-incomplete-multipart-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        { id: 'expire-unconfirmed-uploads', prefix: UPLOAD_PREFIX, expiration: Duration.days(1) },
      ],
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      autoDeleteObjects: !stage.retainData,
    });

    // Browsers must take a photo for its declared type and never sniff it into, say, HTML.
    const photoHeaders = new cloudfront.ResponseHeadersPolicy(this, 'ImagesResponseHeaders', {
      comment: `Car photos (${stage.name}): X-Content-Type-Options nosniff`,
      securityHeadersBehavior: { contentTypeOptions: { override: true } },
    });

    this.distribution = new cloudfront.Distribution(this, 'ImagesCdn', {
      comment: `Car photos (${stage.name})`,
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.imagesBucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        compress: false, // JPEG, PNG and WebP are compressed already
        responseHeadersPolicy: photoHeaders,
      },
      // Edge locations in Asia are in class 200; class 100 would serve Thailand from far away.
      priceClass: cloudfront.PriceClass.PRICE_CLASS_200,
      httpVersion: cloudfront.HttpVersion.HTTP2_AND_3,
    });
    // The distribution reads the bucket (OAC grants s3:GetObject on every key), except
    // uploads nobody has confirmed yet: those are never served.
    this.imagesBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        effect: iam.Effect.DENY,
        principals: [new iam.ServicePrincipal('cloudfront.amazonaws.com')],
        actions: ['s3:GetObject'],
        resources: [this.imagesBucket.arnForObjects(`${UPLOAD_PREFIX}*`)],
      }),
    );

    this.imagesPublicBaseUrl = `https://${this.distribution.distributionDomainName}`;
  }

  /**
   * Exactly what one function needs of the bucket (least privilege per route):
   * `upload` signs PUT URLs for pending/…; `publish` reads an upload's first bytes, copies it
   * to agencies/… and removes the upload; `delete` removes photos and their uploads.
   */
  grantImages(grantee: iam.IGrantable, access: readonly ImagesBucketAccess[]): void {
    const uploads = `${UPLOAD_PREFIX}*`;
    const photos = `${PHOTO_PREFIX}*`;
    const bucketArn = `<${Stack.of(this).getLogicalId(this.imagesBucket.node.defaultChild as s3.CfnBucket)}.Arn>`;
    const principal = grantee.grantPrincipal;
    const accept = (finding: string, reason: string) => {
      if (Construct.isConstruct(principal)) acknowledge(principal, `AwsSolutions-IAM5[${finding}]`, reason);
    };
    const perObject =
      'Photo keys are generated per upload (agency/car/uuid), so the prefix is the narrowest resource that works; pending/ and agencies/ separate unconfirmed uploads from published photos.';
    for (const operation of new Set(access)) {
      switch (operation) {
        case 'upload':
          this.imagesBucket.grantPut(grantee, uploads);
          accept(`Resource::${bucketArn}/${uploads}`, perObject);
          accept('Action::s3:Abort*', 'grantPut includes s3:AbortMultipartUpload, only on the same prefix.');
          break;
        case 'publish':
          // Exactly the calls confirm makes: a ranged GetObject of the upload (its first
          // bytes), CopyObject (GetObject on the source, PutObject on the target) and
          // DeleteObjects of the upload; the CDK grant* helpers would add tagging, ACL and
          // version actions it never uses.
          iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject', 's3:DeleteObject'], resourceArns: [this.imagesBucket.arnForObjects(uploads)] });
          iam.Grant.addToPrincipal({ grantee, actions: ['s3:PutObject'], resourceArns: [this.imagesBucket.arnForObjects(photos)] });
          // Without ListBucket, S3 answers a missing upload with 403 instead of 404.
          iam.Grant.addToPrincipal({ grantee, actions: ['s3:ListBucket'], resourceArns: [this.imagesBucket.bucketArn] });
          accept(`Resource::${bucketArn}/${uploads}`, perObject);
          accept(`Resource::${bucketArn}/${photos}`, perObject);
          break;
        case 'delete':
          this.imagesBucket.grantDelete(grantee, uploads);
          this.imagesBucket.grantDelete(grantee, photos);
          accept(`Resource::${bucketArn}/${uploads}`, perObject);
          accept(`Resource::${bucketArn}/${photos}`, perObject);
          accept('Action::s3:DeleteObject*', 'grantDelete: DeleteObject and DeleteObjectVersion on photos and uploads, nothing else.');
          break;
      }
    }
  }
}

/**
 * The origins allowed to PUT photos from a browser: context `corsOrigins`, as a JSON list
 * (cdk.json) or a comma-separated string (`-c corsOrigins=https://a.example,https://b.example`).
 * Defaults to any origin, for development.
 */
export function corsOriginsFromContext(node: Node): string[] {
  const value = node.tryGetContext('corsOrigins') as string | string[] | undefined;
  if (value === undefined) return ['*'];
  const origins = (Array.isArray(value) ? value : value.split(',')).map((origin) => String(origin).trim()).filter(Boolean);
  if (origins.length === 0) throw new Error('Context corsOrigins is empty: give at least one origin, or leave it unset for "*"');
  return origins;
}
