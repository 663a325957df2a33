import middy from '@middy/core';
import httpEventNormalizer from '@middy/http-event-normalizer';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { Kysely } from 'kysely';
import type { z } from 'zod';
import type { Database } from '#core/database';
import { DomainError, PayloadTooLarge, ValidationError, type FieldProblem } from '#core/errors';
import { MAX_JSON_BODY_BYTES, MAX_RAW_BODY_BYTES } from './body-limits';
import { authenticate, type CallerFor } from './auth';
import { checkAllConfig } from './config';
import { toDomainError } from './database-errors';
import { getDb } from './db';
import { logger, MetricUnit, metrics } from './logger';
import { originRefusal } from './origin-verify';
import { PROBLEM_CONTENT_TYPE, problemType, type Problem } from './problem';
import { routeKey, type RouteDefinition } from './route';
import { unstorableText } from './schemas';
import { readableIssue } from './validation-messages';

type Infer<S, Fallback> = S extends z.ZodType ? z.output<S> : Fallback;

export interface ApiRequest<R extends RouteDefinition> {
  params: Infer<R['params'], Record<string, never>>;
  query: Infer<R['query'], Record<string, never>>;
  body: Infer<R['body'], undefined>;
  /** The exact body bytes as sent, for routes declared with `rawBody`. */
  rawBody: R['rawBody'] extends true ? string : undefined;
  /** The headers the route declares (`requestHeaders`), validated, by their canonical names. */
  requestHeaders: Infer<R['requestHeaders'], Record<string, never>>;
  caller: CallerFor<R['access']>;
  /** The database as the route's declared access allows (`read`: SELECT only); none without `database`. */
  db: R['database'] extends false ? undefined : Kysely<Database>;
  requestId: string;
}

/** The success statuses a handler answers with; every error is a thrown DomainError. */
type SuccessStatus = 200 | 201 | 202 | 204;

/** The statuses of a route's declared successes (its `responses` keys below 300). */
export type RouteSuccess<R extends RouteDefinition> = Extract<keyof R['responses'], SuccessStatus>;

/**
 * What a success of the route carries, from its declared response: the schema's JSON, a
 * string for a declared non-JSON content type (HTML, scripts), else nothing.
 */
export type BodyOf<R extends RouteDefinition, S extends RouteSuccess<R>> = R['responses'][S] extends { schema: infer Schema extends z.ZodType }
  ? z.input<Schema>
  : R['responses'][S] extends { contentType: string | readonly string[] }
    ? string
    : undefined;

/** Lower-case header names, as API Gateway passes them on. */
export type ResponseHeaders = Record<string, string>;

type NoHeaders = Record<never, never>;
type DeclaredHeaderNames<Spec> = Spec extends { headers: readonly (infer Name)[] } ? Name : never;

/**
 * The headers a success must carry: `location` where its response declares Location (the
 * document promises it), `content-type` where it declares a body that is not JSON (else the
 * string would be sent JSON-quoted).
 */
type RequiredHeaders<Spec> = ('Location' extends DeclaredHeaderNames<Spec> ? { location: string } : NoHeaders) &
  (Spec extends { contentType: string | readonly string[] } ? { 'content-type': string } : NoHeaders);

type HeadersArgument<Spec> = keyof RequiredHeaders<Spec> extends never ? [headers?: ResponseHeaders] : [headers: RequiredHeaders<Spec> & ResponseHeaders];

declare const replied: unique symbol;

/** An answer made by a route's `reply`, so a handler cannot return an undeclared status or shape. */
export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: ResponseHeaders;
  readonly [replied]: true;
}

/**
 * Answers a request with one of the route's declared successes; the body is type-checked
 * against that status's schema (missing, mistyped and unknown fields are compile errors), and
 * the headers its response declares as always sent must be given.
 */
export type Reply<R extends RouteDefinition> = <S extends RouteSuccess<R>>(
  status: S,
  ...rest: BodyOf<R, S> extends undefined ? [body?: undefined, headers?: ResponseHeaders] : [body: BodyOf<R, S>, ...HeadersArgument<R['responses'][S]>]
) => ApiResponse;

/** Every route's `reply`; endpoint() hands it to the handler typed as that route's Reply. */
const reply = (status: number, body?: unknown, headers?: ResponseHeaders) =>
  ({ status, ...(body === undefined ? {} : { body }), ...(headers ? { headers } : {}) }) as ApiResponse;

type Event = APIGatewayProxyEventV2;
type Result = APIGatewayProxyStructuredResultV2;

/**
 * Wraps one route's business function in the middy stack every endpoint shares:
 * normalise the event → log context → refuse a request that went around CloudFront and WAF
 * (403, only when ORIGIN_VERIFY_SECRET is set) → refuse an oversized body (413), or any body
 * on a route that takes none (400), before reading it → authenticate (401/403) → parse JSON
 * only where the route has a body → validate params/query/body with the route's zod schemas,
 * refusing text PostgreSQL cannot store (400) → run, which answers through `reply` with one of
 * the route's declared successes (type-checked against its schema) → shape the answer with its
 * Cache-Control (cacheControl()). Any error becomes RFC 9457 problem+json in one place, never cached;
 * unknown errors are logged with the request id and answered with a generic 500 that reveals
 * nothing.
 */
export function endpoint<const R extends RouteDefinition>(
  route: R,
  run: (request: ApiRequest<R>, reply: Reply<R>) => Promise<ApiResponse>,
): middy.MiddyfiedHandler<Event, Result> {
  // At cold start in Lambda (the module's init, where the handler is made): a function whose
  // environment is wrong fails to start, with every problem in its log, rather than answering
  // its first requests with 500s or a misleading 503. Locally the dev server sets its env first.
  if (process.env.AWS_LAMBDA_FUNCTION_NAME) checkConfigAtColdStart();
  const handler = middy<Event, Result>()
    .use(httpEventNormalizer() as middy.MiddlewareObj<Event, Result>)
    .use(logMetrics(metrics, { captureColdStartMetric: true }) as middy.MiddlewareObj<Event, Result>)
    .use(requestMetric(route))
    .use(injectLambdaContext(logger, { resetKeys: true }))
    .use(problemErrors())
    .use(requestIdLogging())
    .use(throughOrigin());
  if (route.body || route.rawBody) handler.use(bodyLimit(route));
  else handler.use(noBody());
  if (route.body) {
    handler.use(httpJsonBodyParser({ disableContentTypeCheck: true }));
  }
  return handler.handler(async (event) => {
    const db = route.database ? getDb(route.database) : undefined;
    const caller = await authenticate(event, route.access, db);
    const request = {
      params: parsePart('path', route.params, event.pathParameters ?? {}),
      query: parsePart('query', route.query, route.query ? (event.queryStringParameters ?? {}) : {}),
      body: route.body ? parsePart('body', route.body, event.body) : undefined,
      rawBody: route.rawBody ? decodeRawBody(event) : undefined,
      requestHeaders: parsePart('header', route.requestHeaders, declaredHeaders(route, event.headers)),
      caller,
      db,
      requestId: event.requestContext.requestId,
    } as ApiRequest<R>;
    const result = toResult(await run(request, reply as Reply<R>));
    result.headers = { ...result.headers, 'x-request-id': request.requestId, 'cache-control': cacheControl(route, result.statusCode ?? 200) };
    return result;
  });
}

/** Nothing personal, nothing erroneous is ever kept by a browser or a shared cache. */
export const NO_STORE = 'no-store';

/**
 * The one place that decides caching: a successful answer of a public GET that declares
 * `cacheSeconds` may be kept that long by anyone (it depends on nothing but the URL); every
 * other answer (anything authenticated, any POST, any error) is `no-store`. Errors never
 * reach here: problemResponse() sends them `no-store` itself.
 */
export function cacheControl(route: Pick<RouteDefinition, 'method' | 'access' | 'cacheSeconds'>, status: number): string {
  const cacheable = route.method === 'GET' && route.access === 'public' && route.cacheSeconds !== undefined && route.cacheSeconds > 0;
  return cacheable && status >= 200 && status < 300 ? `public, max-age=${route.cacheSeconds}` : NO_STORE;
}

function bodyLimit(route: RouteDefinition): middy.MiddlewareObj<Event, Result> {
  const limit = route.rawBody ? MAX_RAW_BODY_BYTES : MAX_JSON_BODY_BYTES;
  return {
    before: ({ event }) => {
      if (!event.body) return;
      const bytes = Buffer.byteLength(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      if (bytes > limit) throw new PayloadTooLarge(`Request bodies on this route are limited to ${limit} bytes; this one has ${bytes}.`);
      if (route.body && event.isBase64Encoded) {
        event.body = strictUtf8(Buffer.from(event.body, 'base64'));
        event.isBase64Encoded = false;
      }
    },
  };
}

/**
 * A JSON body sent base64-encoded (API Gateway does so for non-text content types) is decoded
 * here, strictly: invalid UTF-8 is a 400, not replacement characters stored as if sent.
 */
function strictUtf8(bytes: Buffer): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError('The request body must be UTF-8 encoded JSON.', { errors: [{ path: 'body', message: 'is not valid UTF-8' }] });
  }
}

/**
 * Routes that take no body (a confirm, a cancel, a DELETE): an empty body or `{}` is fine, as
 * clients often send one; anything else is a field the route does not know, and the API
 * contract makes unknown fields a 400, so nothing a client believed it sent is silently dropped.
 */
function noBody(): middy.MiddlewareObj<Event, Result> {
  return {
    before: ({ event }) => {
      const text = decodeRawBody(event).trim();
      if (text === '') return;
      if (text.length > MAX_JSON_BODY_BYTES) throw new PayloadTooLarge('This endpoint takes no request body.');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const fields = typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? Object.keys(parsed) : undefined;
      if (fields?.length === 0) return;
      throw new ValidationError('This endpoint takes no request body.', {
        errors: [{ path: 'body', message: fields ? `Unknown field(s): ${fields.join(', ')}` : 'must be empty (or {})' }],
      });
    },
  };
}

function checkConfigAtColdStart(): void {
  try {
    checkAllConfig();
  } catch (error) {
    logger.error('invalid configuration: the function cannot start', { error });
    throw error;
  }
}

/**
 * Validates one part of the request with the route's schema, and refuses, whatever the schema
 * says, text PostgreSQL cannot store as sent (NUL, unpaired surrogates: schemas.ts), so no
 * route can forget it. Both kinds of problem are reported together, each naming its field.
 */
function parsePart(part: 'path' | 'query' | 'header' | 'body', schema: z.ZodType | undefined, value: unknown): unknown {
  if (!schema) return {};
  const textProblems = unstorableText(value, part);
  // Messages read as sentences ("is required"), unless the schema sets its own.
  const parsed = schema.safeParse(value, { error: readableIssue });
  if (parsed.success && textProblems.length === 0) return parsed.data;
  const errors: FieldProblem[] = [
    ...textProblems,
    ...(parsed.success ? [] : parsed.error.issues).map((issue) => ({
      path: issue.path.length > 0 ? issue.path.join('.') : part,
      message: issue.code === 'unrecognized_keys' ? `Unknown field(s): ${issue.keys.join(', ')}` : issue.message,
    })),
  ];
  const where = { path: 'path parameters', query: 'query parameters', header: 'request headers', body: 'request body' }[part];
  throw new ValidationError(`The ${where} failed validation.`, { errors });
}

function decodeRawBody(event: Event): string {
  if (event.body === undefined || event.body === null) return '';
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The route's declared headers as sent (header names are case-insensitive), absent ones left out. */
function declaredHeaders(route: RouteDefinition, headers: Event['headers'] | undefined): Record<string, string> {
  if (!route.requestHeaders) return {};
  const sent = lowerCaseHeaders(headers);
  const declared: Record<string, string> = {};
  for (const name of Object.keys(route.requestHeaders.shape)) {
    const value = sent[name.toLowerCase()];
    if (value !== undefined) declared[name] = value;
  }
  return declared;
}

function lowerCaseHeaders(headers: Event['headers'] | undefined): Record<string, string | undefined> {
  const lowered: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) lowered[name.toLowerCase()] = value;
  return lowered;
}

function toResult(response: ApiResponse): Result {
  const headers: Record<string, string> = { ...response.headers };
  if (response.body === undefined) return { statusCode: response.status, headers };
  if (typeof response.body === 'string' && headers['content-type']) {
    return { statusCode: response.status, headers, body: response.body };
  }
  headers['content-type'] ??= 'application/json; charset=utf-8';
  return { statusCode: response.status, headers, body: JSON.stringify(response.body) };
}

/**
 * One `Requests` count per request, by route and status class (2xx, 4xx, 5xx). It runs after
 * the error middleware has shaped the answer, so failures are counted with the status the
 * client saw; logMetrics (used before it) flushes the metric afterwards.
 */
function requestMetric(route: RouteDefinition): middy.MiddlewareObj<Event, Result> {
  const count = (request: middy.Request<Event, Result>) => {
    const status = request.response?.statusCode ?? 500;
    metrics.addDimensions({ route: routeKey(route), statusClass: `${Math.floor(status / 100)}xx` });
    metrics.addMetric('Requests', MetricUnit.Count, 1);
  };
  return { after: count, onError: count };
}

/** Before the body, the token or the handler are looked at (functions/platform/origin-verify.ts). */
function throughOrigin(): middy.MiddlewareObj<Event, Result> {
  return {
    before: ({ event }) => {
      const refusal = originRefusal(event.headers);
      if (refusal) throw refusal;
    },
  };
}

function requestIdLogging(): middy.MiddlewareObj<Event, Result> {
  return {
    before: (request) => {
      logger.appendKeys({ request_id: request.event.requestContext?.requestId });
    },
  };
}

/** middy's body parser signals a body that is not JSON with 422; the contract says 400. */
function isMalformedJson(error: unknown): boolean {
  const cause = (error as { cause?: { package?: string } }).cause;
  return cause?.package === '@middy/http-json-body-parser';
}

export function problemResponse(error: DomainError, requestId?: string): Result {
  const problem: Problem = {
    type: problemType(error.slug),
    title: error.title,
    status: error.status,
    detail: error.message,
    ...(error.errors ? { errors: error.errors } : {}),
    ...error.extensions,
  };
  return {
    statusCode: error.status,
    // The request id travels in a header, so equal problems have byte-identical bodies
    // (an unknown email and a wrong password must be indistinguishable).
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...(requestId ? { 'x-request-id': requestId } : {}), ...error.headers, 'cache-control': NO_STORE },
    body: JSON.stringify(problem),
  };
}

function problemErrors(): middy.MiddlewareObj<Event, Result> {
  return {
    onError: (request) => {
      const error = request.error;
      const requestId = request.event?.requestContext?.requestId;
      let known: DomainError | undefined;
      if (error instanceof DomainError) known = error;
      else if (isMalformedJson(error)) {
        known = new ValidationError('The request body must be a JSON document.', {
          errors: [{ path: 'body', message: 'Malformed or missing JSON' }],
        });
      } else known = toDomainError(error);

      if (known) {
        if (known.status >= 500) logger.error('request failed', { error, status: known.status });
        else logger.info('request rejected', { status: known.status, detail: known.message });
        request.response = problemResponse(known, requestId);
        return;
      }
      logger.error('unhandled error', { error });
      request.response = {
        statusCode: 500,
        headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...(requestId ? { 'x-request-id': requestId } : {}), 'cache-control': NO_STORE },
        body: JSON.stringify({
          type: problemType('internal-error'),
          title: 'Internal server error',
          status: 500,
          detail: `Something went wrong on our side. It has been logged${requestId ? ` under request id ${requestId}` : ''}; please retry later.`,
        } satisfies Problem),
      };
    },
  };
}

export type { Context };
