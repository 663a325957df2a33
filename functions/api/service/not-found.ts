import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MethodNotAllowed, NotFound } from '#core/errors';
import { problemResponse } from '#platform/http';
import { matchRoute } from '#platform/router';

/**
 * The catch-all ($default route in API Gateway, fallback of the local server): answers an
 * unknown path with 404 and a known path with the wrong method with 405 + Allow, both as
 * problem+json rather than API Gateway's bare {"message":"Not Found"}.
 */
export async function handler(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> {
  const method = event.requestContext?.http?.method ?? 'GET';
  const path = event.rawPath ?? '/';
  const match = matchRoute(method, path);
  const error =
    match.kind === 'wrong-method'
      ? new MethodNotAllowed(match.allowed)
      : new NotFound(`No endpoint at ${method} ${path}. See /api/v1/docs/.`);
  return problemResponse(error, event.requestContext?.requestId);
}
