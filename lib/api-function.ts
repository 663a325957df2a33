import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type BundlingOptions, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { StageSettings } from './stage';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export const SERVICE_NAME = 'phuket-rental-api';

/**
 * The CloudWatch namespace of the app's own metrics (functions/platform/logger.ts emits them),
 * one per stage so that dev and prod in one account never add up.
 */
export const metricsNamespace = (stage: Pick<StageSettings, 'name'>): string => `PhuketRental/${stage.name}`;

/**
 * Imports the bundles resolve elsewhere, relative to the project root (esbuild's working
 * directory, here and in the CDK's bundling). `node:http` goes through CommonJS: its ESM facade
 * would load undici at init (functions/platform/node-http.cjs).
 */
export const BUNDLE_ALIASES: Record<string, string> = {
  'node:http': './functions/platform/node-http.cjs',
  http: './functions/platform/node-http.cjs',
};

/**
 * How every function is bundled: one minified ESM file for Node.js 24 with a `require` shim,
 * so CommonJS dependencies (pg) still load inside the ESM bundle. bench/coldstart.ts bundles
 * with exactly these options to measure what Lambda loads.
 */
export const BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
  // AWS SDK v3: bundled at the versions package-lock.json pins, not the copy the nodejs24.x
  // runtime ships. Measured (docs/benchmarks.md, "Cold starts"): leaving @aws-sdk/* and
  // @smithy/* to the runtime shrinks the zip but makes init slower, not faster (hundreds of
  // files resolved and loaded instead of one), and the functions would run an SDK version the
  // tests never ran, changing under us with each runtime update. Only the functions that use
  // an SDK client carry one (S3, Cognito, SES, SQS, SNS); the RDS token and the Secrets
  // Manager read are signed with node:crypto (functions/platform/aws-signing.ts).
  externalModules: [] as string[],
  esbuildArgs: { '--alias': Object.entries(BUNDLE_ALIASES).map(([from, to]) => `${from}=${to}`) },
} satisfies BundlingOptions;

export interface ApiFunctionProps extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture' | 'role' | 'logGroup'> {
  /** Module under functions/, without extension, exporting `handler`. */
  handlerModule: string;
  /** Log retention and what happens to the log group when the stack goes. */
  stage: StageSettings;
}

/**
 * Every function of the app with the same defaults: Node.js 24 on arm64 (cheaper per ms,
 * fast cold start), one minified ESM bundle with source maps, JSON logs, X-Ray active tracing
 * (no tracer library: docs/benchmarks.md, "Cold starts"), and a role of its own that may write to its own log
 * group only. Whatever else a function may do is granted explicitly by the construct using it.
 */
export class ApiFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    const { handlerModule, stage, bundling, environment, ...rest } = props;
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: stage.logRetention,
      removalPolicy: stage.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // Not AWSLambdaBasicExecutionRole (logs:* on every log group of the account): the function's
    // own group only. The group exists before the function, so no logs:CreateLogGroup.
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${handlerModule}`,
    });
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }));
    if (rest.vpc) {
      // What AWSLambdaVPCAccessExecutionRole grants. These EC2 actions have no resource-level
      // scoping for Lambda's network interfaces: AWS documents them on "*".
      role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DescribeNetworkInterfaces',
            'ec2:DescribeSubnets',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: ['*'],
        }),
      );
    }
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'functions', `${handlerModule}.ts`),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      // Above the worst database wait of a request (connect 3 s + one query 6 s → 503 at ~9 s),
      // far inside API Gateway's 29 s (docs/operations.md#time-budgets).
      timeout: Duration.seconds(12),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup,
      role,
      // X-Ray segments for every invocation (sampled), from the runtime itself.
      tracing: lambda.Tracing.ACTIVE,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      projectRoot: PROJECT_ROOT,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace(stage),
        ...environment,
      },
      bundling: {
        ...BUNDLING,
        logLevel: LogLevel.ERROR,
        ...bundling,
      },
      ...rest,
    });
  }
}
