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
  /** Defaults to application/json. */
  contentType?: string;
}

/**
 * One entry of THE route table (functions/routes.ts). The CDK stack makes one function and
 * one HTTP API route per entry; the local server dispatches to the same handler; the OpenAPI
 * document is generated from the schemas here; the handler validates with the same schemas.
 */
export interface RouteDefinition {
  method: HttpMethod;
  /** Under /api/v1, with the trailing slash of API.md; both slash forms are served. */
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
  /** Required with `uses: ['images-bucket']`: the object operations the function performs. */
  imagesBucket?: readonly ImagesBucketAccess[];
  summary: string;
  tags: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** A JSON body; only these routes get the JSON body parser. */
  body?: z.ZodType;
  /** Hand the handler the exact raw body instead (the Stripe webhook verifies it). */
  rawBody?: boolean;
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

/** A route's key as the route table writes it (`POST /bookings/`): metrics, logs and lib/throttling.ts name routes by it. */
export const routeKey = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;
