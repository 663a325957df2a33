import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One structured JSON logger per process. Powertools adds the Lambda request id and cold-start
 * flag to every line once the middy stack injects the context. POWERTOOLS_LOG_LEVEL sets the level.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'phuket-rental-api' });
