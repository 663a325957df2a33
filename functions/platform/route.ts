import type { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Who may call a route. `public` needs no token; `signed-in` any valid access token;
 * `customer` / `agency_admin` the role's Cognito group *and* a matching users row;
 * `stripe` is the webhook, authenticated by its signature instead of a token.
 */
export type Access = 'public' | 'signed-in' | 'customer' | 'agency_admin' | 'stripe';

/**
 * AWS resources a route's function uses beyond the database; the CDK stack grants exactly these.
 * `cognito-admin` creates and deletes users; `cognito-email-verified` only marks an address verified.
 */
export type Uses = 'cognito-admin' | 'cognito-email-verified' | 'images-bucket' | 'email' | 'payments';

/**
 * What a route that `uses: ['images-bucket']` does with the bucket, so its function gets only
 * those permissions: `upload` signs PUT URLs for new uploads, `publish` checks an upload and
 * copies it to its public key, `delete` removes photos.
 */
export type ImagesBucketAccess = 'upload' | 'publish' | 'delete';

/**
 * Routes API Gateway throttles tighter than the stage's default (lib/stage.ts sets the numbers
 * per stage). It limits a route for all callers together, so these protect what is behind the
 * route, not fairness between clients (that needs WAF: docs/operations.md).
 * - `auth`: every call reaches Cognito, whose per-account quotas every stage shares; a
 *   password-guessing burst should hit our 429 before Cognito's TooManyRequests hits everyone.
 * - `booking`: one database transaction and one Stripe PaymentIntent per call.
 */
export type ThrottleClass = 'auth' | 'booking';

/** How a function uses the database: read-only (public reads) or reading and writing rows. */
export type DatabaseAccess = 'read' | 'write';

/**
 * The database user of each access, created by migrations/2026_12_03_0008_database_roles.ts
 * (which spells the names out itself: migrations never import app code). Functions connect as
 * these users, never as the owner; the CDK stack grants each function `rds-db:connect` as its
 * route's user only. Only the migration job connects as the owner.
 */
export const DATABASE_USERS = { read: 'rental_reader', write: 'rental_app' } as const satisfies Record<DatabaseAccess, string>;

export interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json; a body that is not JSON (HTML, a script) is a string. */
  contentType?: string | readonly string[];
  /**
   * Headers this answer carries beyond those of every answer (x-request-id, Cache-Control),
   * documented in the OpenAPI document (components/headers in functions/platform/openapi.ts).
   */
  headers?: readonly ResponseHeaderName[];
}

/** Response headers the OpenAPI document describes once and routes name. */
export type ResponseHeaderName = 'Location' | 'Idempotent-Replayed' | 'Retry-After';

/**
 * One entry of THE route table (functions/routes.ts). The CDK stack makes one function and
 * one HTTP API route per entry; the local server dispatches to the same handler; the OpenAPI
 * document is generated from the schemas here; the handler validates with the same schemas.
 */
export interface RouteDefinition {
  method: HttpMethod;
  /** Under /api/v1, written with its trailing slash as the API contract does; both slash forms are served. */
  path: string;
  /** The handler module under functions/, without extension; it exports `handler`. */
  handler: string;
  access: Access;
  /**
   * The database access the function needs, which decides the database user it connects as
   * (DATABASE_USERS) and so its place in the VPC: `false` none, `read` SELECT only, `write`
   * reads and writes rows.
   */
  database: false | DatabaseAccess;
  uses?: readonly Uses[];
  /** A tighter API Gateway throttle than the stage default (ThrottleClass); the document lists 429 on every route anyway. */
  throttle?: ThrottleClass;
  /** Required with `uses: ['images-bucket']`: the object operations the function performs. */
  imagesBucket?: readonly ImagesBucketAccess[];
  /** One line: the operation's name in the API reference. */
  summary: string;
  /** The rest of what a client developer should know, when one line is not enough. */
  description?: string;
  /**
   * The OpenAPI operationId. By default the handler's file name camelCased
   * (`api/bookings/create-booking` → `createBooking`); set where that name would not read as
   * a verb phrase naming the operation, or would collide with another.
   */
  operationId?: string;
  tags: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  /**
   * Request headers the handler reads (e.g. Idempotency-Key), by their canonical names:
   * endpoint() validates them (400 naming the header) and hands them over as `requestHeaders`.
   */
  requestHeaders?: z.ZodObject;
  /** A JSON body; only these routes get the JSON body parser. */
  body?: z.ZodType;
  /** Hand the handler the exact raw body instead (the Stripe webhook verifies it). */
  rawBody?: boolean;
  /** What a `rawBody` route expects the body to be, for the document only (the handler parses it). */
  rawBodySchema?: z.ZodType;
  /**
   * Public GETs only: how long browsers and shared caches may keep a successful answer
   * (`Cache-Control: public, max-age=N`). Every other answer, every error included, is
   * `no-store` (endpoint() in functions/platform/http.ts decides, from this field alone).
   */
  cacheSeconds?: number;
  responses: Record<number, ResponseSpec>;
}

/** Keeps the literal types of a route so handlers get typed params, query and body. */
export function defineRoute<const R extends RouteDefinition>(route: R): R {
  return route;
}

export const API_PREFIX = '/api/v1';

/** A route's key as the route table writes it (`POST /bookings/`): metrics and logs name routes by it. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
