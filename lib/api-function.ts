import path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, type NodejsFunctionProps } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

export interface ApiFunctionProps extends Omit<NodejsFunctionProps, 'entry' | 'runtime' | 'architecture'> {
  /** Module under functions/, without extension, exporting `handler`. */
  handlerModule: string;
  logRetention?: logs.RetentionDays;
}

/**
 * Every function of the app with the same defaults: Node.js 24 on arm64 (cheaper per ms,
 * fast cold start), one minified ESM bundle with source maps, JSON logs, and a `require`
 * shim so CommonJS dependencies (pg) still load inside the ESM bundle.
 */
export class ApiFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: ApiFunctionProps) {
    const { handlerModule, logRetention, bundling, environment, ...rest } = props;
    super(scope, id, {
      entry: path.join(PROJECT_ROOT, 'functions', `${handlerModule}.ts`),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(10),
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: new logs.LogGroup(scope, `${id}Logs`, { retention: logRetention ?? logs.RetentionDays.ONE_MONTH }),
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      projectRoot: PROJECT_ROOT,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: 'phuket-rental-api',
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        logLevel: LogLevel.ERROR,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        banner: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
        // The SDK v3 clients ship with the runtime, but bundling our pinned versions keeps
        // behaviour identical to the tests; esbuild drops what a function does not import.
        externalModules: [],
        ...bundling,
      },
      ...rest,
    });
  }
}
