import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MethodNotAllowed, NotFound } from '#core/errors';
import { problemResponse } from '#platform/http';
import { logger } from '#platform/logger';
import { originRefusal } from '#platform/origin-verify';
import { routeKey } from '#platform/route';
import { matchRoute } from '#platform/router';

/**
 * The catch-all ($default route in API Gateway, fallback of the local server): answers an
 * unknown path with 404 and a known path with the wrong method with 405 + Allow, both as
 * problem+json rather than API Gateway's bare {"message":"Not Found"}.
 *
 * A request the route table does know (method and path) should never get here: in AWS it means
 * API Gateway did not route it to its function (e.g. a deploy that stopped mapping `/x/` to the
 * route `/x`). That is logged as an error, so the misroute shows in the logs and alarms, and the
 * client still gets a problem+json 404 rather than a stack of API Gateway's own.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  const requestId = event.requestContext?.requestId;
  // Like every endpoint (functions/platform/http.ts): nothing for requests that went around WAF.
  const refusal = originRefusal(event.headers);
  if (refusal) return problemResponse(refusal, requestId);
  const match = matchRoute(method, path);
  if (match.kind === 'found') {
    logger.error('catch-all reached by a request the route table serves: API Gateway misrouted it', {
      method,
      path,
      route: routeKey(match.route),
      handler: match.route.handler,
      routeKey: event.routeKey,
      request_id: requestId,
    });
  }
  const error = match.kind === 'wrong-method' ? new MethodNotAllowed(match.allowed) : new NotFound(`No endpoint at ${method} ${path}. See /api/v1/docs/.`);
  return problemResponse(error, requestId);
}
