import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/**
 * One structured JSON logger per process. Powertools adds the Lambda request id and cold-start
 * flag to every line once the middy stack injects the context. POWERTOOLS_LOG_LEVEL sets the level.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'phuket-rental-api' });

// Metrics are CloudWatch embedded-metric-format lines on stdout, which only Lambda turns into
// metrics; the local server and the tests would just print them. POWERTOOLS_METRICS_DISABLED
// set explicitly still wins.
if (!process.env.AWS_LAMBDA_FUNCTION_NAME) process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

/**
 * The app's own CloudWatch metrics (namespace POWERTOOLS_METRICS_NAMESPACE, per stage; the CDK
 * stack sets it): `Requests` per route and status class, and `ColdStart` per function, both
 * emitted by the middy stack in functions/platform/http.ts.
 */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'PhuketRental/local',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'phuket-rental-api',
});

export { MetricUnit };
