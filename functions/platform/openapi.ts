import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { routes } from '#routes';
import { API_PREFIX, type RouteDefinition } from './route';
import { ProblemSchema } from './schemas';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

/** Error answers every route of a kind can give, so each path documents them without repeating. */
function standardErrors(route: RouteDefinition) {
  const errors: Record<string, ReturnType<typeof problem>> = {};
  if (route.params || route.query || route.body || route.rawBody) errors[400] = problem('Invalid request');
  if (route.access !== 'public' && route.access !== 'stripe') {
    errors[401] = problem('Missing, expired, malformed or foreign access token');
  }
  if (route.access === 'customer' || route.access === 'agency_admin') errors[403] = problem('Wrong role, or the account’s e-mail address is not verified yet (slug email-not-verified: POST /auth/verify/ with the code sent to it)');
  if (route.database) errors[503] = problem('Database unavailable; retry after Retry-After seconds');
  return errors;
}

/** The OpenAPI 3.1 document of the whole API, generated from the route table's zod schemas. */
export function buildOpenApiDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'cognito', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Cognito access token from POST /api/v1/auth/token/',
  });
  for (const route of routes) {
    const responses: Record<string, object> = { ...standardErrors(route) };
    for (const [status, spec] of Object.entries(route.responses)) {
      const contentType = spec.contentType ?? (Number(status) >= 400 ? 'application/problem+json' : 'application/json');
      const schema = spec.schema ?? (Number(status) >= 400 ? ProblemSchema : undefined);
      responses[status] = schema
        ? { description: spec.description, content: { [contentType]: { schema } } }
        : { description: spec.description };
    }
    registry.registerPath({
      method: route.method.toLowerCase() as 'get',
      path: API_PREFIX + route.path,
      summary: route.summary,
      tags: route.tags,
      ...(route.access !== 'public' && route.access !== 'stripe' ? { security: [{ cognito: [] }] } : {}),
      request: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.body ? { body: { required: true, content: { 'application/json': { schema: route.body } } } } : {}),
      },
      responses,
    });
  }
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Phuket Rental API',
      version: '1.0.0',
      description:
        'Car and scooter rentals in Phuket: agencies list vehicles, travellers search by dates and place, book and pay a deposit. Money is integer satang (THB minor units); dates are whole days in Asia/Bangkok, inclusive on both ends.',
    },
    servers: [{ url: '/' }],
  });
}
