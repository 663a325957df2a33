import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { PAGE_SIZE } from '#core/pagination';
import { routes } from '#routes';
import { kibibytes, MAX_JSON_BODY_BYTES, MAX_RAW_BODY_BYTES } from './body-limits';
import { DEMO_SIGN_IN } from './demo-accounts';
import { operationExamples, problemExample, type OperationExamples } from './openapi-examples';
import { API_PREFIX, type ResponseHeaderName, type RouteDefinition } from './route';
import { ProblemSchema } from './schemas';

/** The response headers routes name (ResponseSpec.headers), and the two every answer carries. */
const HEADERS = {
  Location: {
    description: 'The path of the resource just created',
    required: true,
    schema: { type: 'string' as const, examples: ['/api/v1/bookings/0b7e2f6a-1c3d-4e5f-8a9b-1c2d3e4f5a6b/'] },
  },
  'Idempotent-Replayed': {
    description: '`true` when this answer is the stored answer to an earlier request with the same Idempotency-Key and body (nothing new was written)',
    schema: { type: 'string' as const, enum: ['true'] },
  },
  'Retry-After': { description: 'Seconds to wait before trying again', schema: { type: 'integer' as const, minimum: 1, examples: [5] } },
  'X-Request-Id': {
    description: 'The id this request is logged under; quote it when reporting a problem',
    required: true,
    schema: { type: 'string' as const, examples: ['5f0c1d2e-3a4b-4c5d-8e6f-7a8b9c0d1e2f'] },
  },
  'Cache-Control': {
    description: '`public, max-age=N` on successful answers of cacheable public GETs; `no-store` on everything else, errors included',
    schema: { type: 'string' as const, examples: ['no-store', 'public, max-age=30'] },
  },
} satisfies Record<ResponseHeaderName | 'X-Request-Id' | 'Cache-Control', object>;

const headerRef = (name: keyof typeof HEADERS) => ({ $ref: `#/components/headers/${name}` });

const problemContent = (slug: Parameters<typeof problemExample>[0], detail: string, errors?: { path: string; message: string }[]) => ({
  'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example: problemExample(slug, detail, errors) },
});

/**
 * Error answers shared by many routes, in components/responses and referenced from each
 * operation (a route that explains one of these statuses in its own words gets its own).
 */
const SHARED_RESPONSES = {
  BadRequest: {
    description: 'Validation failed (each field in `errors`), the JSON is malformed, or a route that takes no body got one',
    headers: { 'x-request-id': headerRef('X-Request-Id') },
    content: problemContent('validation-error', 'The query parameters failed validation.', [{ path: 'start_date', message: 'is required' }]),
  },
  Unauthorized: {
    description: 'Missing, expired, malformed or foreign access token',
    headers: { 'x-request-id': headerRef('X-Request-Id'), 'WWW-Authenticate': { description: '`Bearer`', schema: { type: 'string' as const } } },
    content: problemContent('unauthorized', 'A valid access token is required.'),
  },
  Forbidden: {
    description:
      'Wrong role for this route, or the account’s e-mail address is not verified yet (type `email-not-verified`: POST /auth/verify/ with the code sent to it)',
    headers: { 'x-request-id': headerRef('X-Request-Id') },
    content: problemContent('forbidden', 'This endpoint is for agency admins.'),
  },
  PayloadTooLarge: {
    description: `The request body is over the route’s limit (${kibibytes(MAX_JSON_BODY_BYTES)} of JSON, also on routes that take none; ${kibibytes(MAX_RAW_BODY_BYTES)} for the Stripe webhook)`,
    headers: { 'x-request-id': headerRef('X-Request-Id') },
    content: problemContent(
      'payload-too-large',
      `Request bodies on this route are limited to ${MAX_JSON_BODY_BYTES} bytes; this one has ${MAX_JSON_BODY_BYTES + 4675}.`,
    ),
  },
  TooManyRequests: {
    description:
      'Too many requests: a limit of this API (problem+json); in AWS, on any route, API Gateway’s throttling of the route for all clients together (its own `{"message"}` body) ' +
      'or, where WAF is deployed, too many requests from the client’s address (problem+json, type `rate-limited`). Retry-After, when sent, says when to retry',
    // API Gateway's own throttling answer carries neither header.
    headers: { 'x-request-id': { ...HEADERS['X-Request-Id'], required: false }, 'Retry-After': headerRef('Retry-After') },
    content: {
      ...problemContent('too-many-requests', 'You already hold 2 unpaid bookings: pay or cancel one, or retry after Retry-After.'),
      // API Gateway's throttling answers its own body; WAF answers a problem, as application/json.
      'application/json': {
        schema: {
          oneOf: [
            { type: 'object' as const, properties: { message: { type: 'string' as const } }, required: ['message'] },
            { $ref: '#/components/schemas/Problem' },
          ],
        },
        examples: {
          throttled: { summary: 'API Gateway throttling', value: { message: 'Too Many Requests' } },
          rateLimited: {
            summary: 'WAF: too many requests from this address',
            value: problemExample('rate-limited', 'Too many requests from your address; please retry in a few minutes.'),
          },
        },
      },
    },
  },
  ServiceUnavailable: {
    description: 'The database (or the payment provider, or the sign-in keys) cannot be reached; nothing was half-written. Retry after Retry-After seconds',
    headers: { 'x-request-id': headerRef('X-Request-Id'), 'Retry-After': { ...HEADERS['Retry-After'], required: true } },
    content: problemContent('service-unavailable', 'The service is temporarily unavailable. Please retry shortly.'),
  },
};

type SharedResponse = keyof typeof SHARED_RESPONSES;

const takesToken = (route: RouteDefinition) => route.access !== 'public' && route.access !== 'stripe';

/** Error answers a route gives because of what it is (its inputs, access, database), by status. */
function sharedErrors(route: RouteDefinition): Partial<Record<number, SharedResponse>> {
  // Every route refuses a body over its limit (413), GETs included: one that takes no body
  // refuses any body with 400, but measures it first. The stage's API Gateway throttle and,
  // in front of it, WAF's per-address rate rule answer 429 on any route.
  return {
    400: 'BadRequest',
    ...(takesToken(route) ? { 401: 'Unauthorized' } : {}),
    ...(route.access === 'customer' || route.access === 'agency_admin' ? { 403: 'Forbidden' } : {}),
    413: 'PayloadTooLarge',
    429: 'TooManyRequests',
    ...(route.database || takesToken(route) ? { 503: 'ServiceUnavailable' } : {}),
  };
}

/** The OpenAPI operationId: the route's own, else its handler file's name camelCased (`create-booking` → `createBooking`). */
export function operationIdOf(route: RouteDefinition): string {
  if (route.operationId) return route.operationId;
  const file = route.handler.split('/').at(-1)!;
  return file.replace(/-([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

const SLUG_BY_STATUS: Record<number, Parameters<typeof problemExample>[0]> = {
  400: 'validation-error',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  429: 'too-many-requests',
  503: 'service-unavailable',
};

/** One declared response of a route, with the headers it carries and its example. */
function responseOf(status: number, spec: RouteDefinition['responses'][number], example: unknown) {
  const isError = status >= 400;
  const contentTypes = [spec.contentType ?? (isError ? 'application/problem+json' : 'application/json')].flat();
  // A declared non-JSON body (HTML, a script) is text.
  const schema = spec.schema ?? (isError ? ProblemSchema : spec.contentType ? { type: 'string' as const } : undefined);
  const headers: Record<string, object> = { 'x-request-id': headerRef('X-Request-Id') };
  if (!isError) headers['Cache-Control'] = headerRef('Cache-Control');
  for (const name of spec.headers ?? []) headers[name] = headerRef(name);
  if (isError && (status === 429 || status === 503)) headers['Retry-After'] = headerRef('Retry-After');
  const exampleOf = (type: string) => {
    if (example !== undefined) return { example };
    if (isError && type === 'application/problem+json') {
      return { example: problemExample(SLUG_BY_STATUS[status] ?? 'conflict', spec.description) };
    }
    return {};
  };
  return {
    description: spec.description,
    headers,
    ...(schema ? { content: Object.fromEntries(contentTypes.map((type) => [type, { schema, ...exampleOf(type) }])) } : {}),
  };
}

function sharedResponseOf(name: SharedResponse, spec: RouteDefinition['responses'][number], example: unknown) {
  const shared = SHARED_RESPONSES[name];
  const problem = spec.schema ? { 'application/problem+json': { schema: spec.schema, ...(example !== undefined ? { example } : {}) } } : {};
  return { ...shared, description: `${spec.description}. Also: ${shared.description}`, content: { ...shared.content, ...problem } };
}

const TAG_DESCRIPTIONS: Record<string, string> = {
  Service: 'Health, this document, its reference page, and the problem type pages',
  Auth: 'Accounts, e-mail verification and sign-in (Cognito tokens)',
  'Agency inventory': 'An agency admin’s own cars and their photos',
  'Agency rental terms': 'The rules an agency rents by: seasons and rate plans, opening hours with an after-hours fee, delivery to landmarks',
  'Agency phone': 'Proving the agency’s phone number, to receive booking SMS',
  Search: 'Public search: cars free on given days, around a place; landmarks; agency profiles',
  Bookings: 'A traveller’s bookings: book, pay the deposit, cancel',
  'Agency bookings': 'Bookings of an agency’s cars, and maintenance blocks',
  Payments: 'Stripe’s webhook',
  Reviews: 'Reviews of completed rentals, and agencies’ replies',
};

const INFO_DESCRIPTION = `Car and scooter rentals in Phuket: agencies list vehicles, travellers search by dates and place, book and pay a deposit.

**Conventions.** Money is integer satang (THB minor units: \`150000\` is 1,500.00 THB). Dates are \`YYYY-MM-DD\`, whole days in Asia/Bangkok, inclusive on both ends. Every path answers with and without its trailing slash. Collections take \`?limit=\` (1–${PAGE_SIZE.max}, default ${PAGE_SIZE.default}) and the opaque \`?cursor=\` of the previous page's \`next_cursor\`.

**Errors** are RFC 9457 \`application/problem+json\`. A problem's \`type\` is a path of this API (\`${API_PREFIX}/problems/<slug>/\`): open it for what the problem means and what to do. A 400 lists each failed field in \`errors\`. Every answer carries \`x-request-id\`.

**Trying it out.** Public routes need nothing. For the others, get a token, then press *Authorize* and paste the \`access_token\`:
1. Locally (\`npm run dev\` seeds a demo catalogue), \`POST ${API_PREFIX}/auth/token/\` with \`${JSON.stringify({ email: DEMO_SIGN_IN.traveller, password: DEMO_SIGN_IN.password })}\` (customer routes: bookings, reviews) or \`${DEMO_SIGN_IN.agencyAdmin}\` (agency routes: Patong Wheels' cars, bookings, blocks).
2. Elsewhere, register with \`POST ${API_PREFIX}/auth/register/\`, prove the address with the 6-digit code e-mailed to it (\`POST ${API_PREFIX}/auth/verify/\`), then sign in as above.

Ids in the examples are those of the demo catalogue; search (\`GET ${API_PREFIX}/cars/\`) or list your own resources to find others. Example dates are computed from today in Bangkok.`;

/** Puts each example value on the operation's parameter of that name (path, query and header alike). */
function addParameterExamples(operation: { parameters?: Array<{ name: string; example?: unknown }> }, examples: OperationExamples) {
  const values: Record<string, unknown> = { ...examples.params, ...examples.query, ...examples.headers };
  for (const parameter of operation.parameters ?? []) {
    if (values[parameter.name] !== undefined) parameter.example = values[parameter.name];
  }
}

/**
 * The OpenAPI 3.1 document of the whole API, generated from the route table (functions/routes.ts)
 * and its zod schemas, with examples of today's dates (functions/platform/openapi-examples.ts).
 */
export function buildOpenApiDocument(now: Date = new Date()) {
  const examples = operationExamples(now);
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'cognito', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: `A Cognito access token: the \`access_token\` of POST ${API_PREFIX}/auth/token/`,
  });
  for (const [name, header] of Object.entries(HEADERS)) registry.registerComponent('headers', name, header);
  for (const [name, response] of Object.entries(SHARED_RESPONSES)) registry.registerComponent('responses', name, response);

  const exampleByOperation = new Map<string, OperationExamples>();
  for (const route of routes) {
    const operationId = operationIdOf(route);
    const routeExamples = examples[operationId] ?? {};
    exampleByOperation.set(operationId, routeExamples);
    const responses: Record<string, object> = {};
    const shared = sharedErrors(route);
    for (const [status, name] of Object.entries(shared)) responses[status] = { $ref: `#/components/responses/${name}` };
    for (const [status, spec] of Object.entries(route.responses)) {
      const sharedName = shared[Number(status)];
      // A shared error the route explains in its own words: its words first, then the shared
      // case; a route's own problem schema (extra members) replaces the plain Problem.
      responses[status] = sharedName
        ? sharedResponseOf(sharedName, spec, routeExamples.responses?.[Number(status)])
        : responseOf(Number(status), spec, routeExamples.responses?.[Number(status)]);
    }
    const bodySchema = route.body ?? route.rawBodySchema;
    registry.registerPath({
      method: route.method.toLowerCase() as 'get',
      path: API_PREFIX + route.path,
      operationId,
      summary: route.summary,
      description: route.description ?? route.summary,
      tags: route.tags,
      security: takesToken(route) ? [{ cognito: [] }] : [],
      request: {
        ...(route.params ? { params: route.params } : {}),
        ...(route.query ? { query: route.query } : {}),
        ...(route.requestHeaders ? { headers: route.requestHeaders } : {}),
        ...(bodySchema
          ? {
              body: {
                required: true,
                content: { 'application/json': { schema: bodySchema, ...(routeExamples.body !== undefined ? { example: routeExamples.body } : {}) } },
              },
            }
          : {}),
      },
      responses,
    });
  }
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Phuket Rental API',
      version: '1.0.0',
      description: INFO_DESCRIPTION,
    },
    servers: [{ url: '/', description: 'This API' }],
    tags: [...new Set(routes.flatMap((route) => route.tags))].map((name) => ({
      name,
      ...(TAG_DESCRIPTIONS[name] ? { description: TAG_DESCRIPTIONS[name] } : {}),
    })),
  });
  for (const pathItem of Object.values(document.paths ?? {})) {
    for (const operation of Object.values(pathItem) as Array<{ operationId?: string; parameters?: Array<{ name: string; example?: unknown }> }>) {
      const routeExamples = operation.operationId ? exampleByOperation.get(operation.operationId) : undefined;
      if (routeExamples) addParameterExamples(operation, routeExamples);
    }
  }
  return document;
}
