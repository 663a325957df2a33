import { CfnOutput, RemovalPolicy } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { routes } from '../functions/routes';
import { apiGatewayPath } from '../functions/platform/router';
import type { RouteDefinition } from '../functions/platform/route';
import { ApiFunction } from './api-function';
import type { Auth } from './auth';
import type { Data } from './data';
import type { StageSettings } from './stage';
import type { Storage } from './storage';
import { routeThrottle } from './throttling';

/**
 * One JSON line per request in the access log: who, which route, the status and where the
 * time went. `status` 429 lines are API Gateway throttling (lib/observability.ts counts them).
 */
export const ACCESS_LOG_FORMAT = {
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
  userAgent: '$context.identity.userAgent',
} as const;

/** A CloudFormation-safe id for a route's function, e.g. GetAgencyCarsId. */
export function functionId(route: RouteDefinition): string {
  const words = `${route.method.toLowerCase()} ${route.path}`.split(/[^A-Za-z0-9]+/).filter(Boolean);
  return words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

/**
 * The HTTP API: one function and one route per entry of functions/routes.ts, plus a
 * $default catch-all answering unknown paths with problem+json. Functions that need the
 * database run in the VPC's private subnets and connect to RDS Proxy with IAM auth, as the
 * database user of their route's access (rental_reader for `read`, rental_app for `write`);
 * the others stay outside the VPC.
 */
export class Api extends Construct {
  readonly httpApi: apigw.HttpApi;
  readonly functions = new Map<RouteDefinition, ApiFunction>();
  readonly notFoundFunction: ApiFunction;
  readonly accessLogs: logs.LogGroup;

  constructor(scope: Construct, id: string, props: { stage: StageSettings; data: Data; auth: Auth; storage: Storage; stripeSecret: secretsmanager.ISecret }) {
    super(scope, id);
    const { stage, data, auth, storage, stripeSecret } = props;
    this.notFoundFunction = new ApiFunction(this, 'NotFoundFn', { handlerModule: 'api/service/not-found', stage });
    this.httpApi = new apigw.HttpApi(this, 'HttpApi', {
      description: 'Phuket Rental API',
      corsPreflight: {
        allowOrigins: ['*'],
        allowMethods: [apigw.CorsHttpMethod.ANY],
        allowHeaders: ['authorization', 'content-type', 'idempotency-key'],
        // Response headers a browser's script may read (the API contract names them): where a
        // created thing is, when to retry, whether a booking was replayed, and the id to quote
        // to support.
        exposeHeaders: ['location', 'retry-after', 'idempotent-replayed', 'x-request-id'],
      },
      defaultIntegration: new HttpLambdaIntegration('NotFound', this.notFoundFunction),
    });
    // HTTP APIs refuse bodies over 10 MB and Lambda requests over 6 MB; no route takes more than
    // a few KB (photos go straight to S3), and neither limit can be lowered on an HTTP API.
    // Each function's zod schema bounds what it accepts (docs/operations.md, "Limits").
    const stageResource = this.httpApi.defaultStage!.node.defaultChild as apigw.CfnStage;
    stageResource.addPropertyOverride('DefaultRouteSettings', {
      ThrottlingRateLimit: stage.throttle.default.rate,
      ThrottlingBurstLimit: stage.throttle.default.burst,
    });
    // HTTP APIs write access logs through their service-linked role: no account-wide
    // CloudWatch role is needed (that is REST APIs).
    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: stage.logRetention,
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    stageResource.accessLogSettings = {
      destinationArn: this.accessLogs.logGroupArn,
      format: JSON.stringify(ACCESS_LOG_FORMAT),
    };
    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};

    const common = {
      STAGE: stage.name,
      COGNITO_USER_POOL_ID: auth.userPool.userPoolId,
      COGNITO_CLIENT_ID: auth.client.userPoolClientId,
      // Public, like the photos it points at: any answer may show a car's photos.
      IMAGES_PUBLIC_BASE_URL: storage.imagesPublicBaseUrl,
    };
    for (const route of routes) {
      const docsAssets = route.handler === 'api/service/get-docs-asset' ? docsAssetsBundling() : undefined;
      const fn = new ApiFunction(this, `${functionId(route)}Fn`, {
        handlerModule: route.handler,
        stage,
        description: `${route.method} /api/v1${route.path}`,
        environment: {
          ...common,
          ...(route.database ? data.clientEnvironment(route.database) : {}),
          ...(route.uses?.includes('images-bucket') ? { IMAGES_BUCKET: storage.imagesBucket.bucketName } : {}),
          ...(route.uses?.includes('payments') ? { STRIPE_SECRET_ARN: stripeSecret.secretArn } : {}),
          ...docsAssets?.environment,
        },
        ...(docsAssets ? { bundling: docsAssets.bundling } : {}),
        ...(route.database
          ? {
              ...data.functionNetwork(),
            }
          : {}),
      });
      // As its route's database user alone: a public read function cannot write, none is the owner.
      if (route.database) data.grantConnect(fn, route.database);
      if (route.uses?.includes('cognito-admin')) {
        // Exactly what functions/platform/cognito.ts createUser/deleteUser call.
        auth.userPool.grant(
          fn,
          'cognito-idp:AdminCreateUser',
          'cognito-idp:AdminSetUserPassword',
          'cognito-idp:AdminAddUserToGroup',
          'cognito-idp:AdminDeleteUser',
        );
      }
      if (route.uses?.includes('cognito-email-verified')) {
        // functions/platform/cognito.ts markEmailVerified, after our own code proved the address.
        auth.userPool.grant(fn, 'cognito-idp:AdminUpdateUserAttributes');
      }
      if (route.uses?.includes('payments')) stripeSecret.grantRead(fn);
      if (route.uses?.includes('images-bucket')) {
        if (!route.imagesBucket?.length) throw new Error(`${route.method} ${route.path} uses images-bucket: declare imagesBucket`);
        storage.grantImages(fn, route.imagesBucket);
      }
      const [httpRoute] = this.httpApi.addRoutes({
        path: apiGatewayPath(route),
        methods: [route.method as apigw.HttpMethod],
        integration: new HttpLambdaIntegration(`${functionId(route)}Integration`, fn),
      });
      const throttle = routeThrottle(route, stage);
      if (throttle) {
        routeSettings[`${route.method} ${apiGatewayPath(route)}`] = { ThrottlingRateLimit: throttle.rate, ThrottlingBurstLimit: throttle.burst };
        // Route settings name routes by key: the stage must be updated after the route exists.
        stageResource.node.addDependency(httpRoute!);
      }
      this.functions.set(route, fn);
    }
    stageResource.addPropertyOverride('RouteSettings', routeSettings);
    new CfnOutput(this, 'ApiUrl', { value: `${this.httpApi.apiEndpoint}/api/v1/` });
  }
}

/** The docs page's Swagger UI files travel inside the function's bundle (no CDN). */
function docsAssetsBundling() {
  return {
    environment: { DOCS_ASSETS_DIR: '/var/task/docs-assets' },
    bundling: {
      commandHooks: {
        beforeBundling: () => [],
        beforeInstall: () => [],
        afterBundling: (inputDir: string, outputDir: string) => [
          `mkdir -p "${outputDir}/docs-assets"`,
          `cp "${inputDir}/node_modules/swagger-ui-dist/swagger-ui.css" "${inputDir}/node_modules/swagger-ui-dist/swagger-ui-bundle.js" "${outputDir}/docs-assets/"`,
        ],
      },
    },
  };
}
