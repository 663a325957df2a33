import * as z from 'zod';
import { defineRoute } from '#platform/route';
import { ProblemSchema } from '#platform/schemas';

export const HealthSchema = z.object({ status: z.literal('ok'), database: z.literal('ok') }).meta({ id: 'Health' });

/** Only what a client relies on to recognise the document; the rest is OpenAPI 3.1 itself. */
export const OpenApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: 'OpenApiDocument', description: 'An OpenAPI 3.1 document' });

/** The 503 of every route that needs the database, plus which dependency is down. */
export const HealthUnavailableSchema = ProblemSchema.extend({ database: z.literal('unavailable') }).meta({
  id: 'HealthUnavailable',
  description: 'RFC 9457 problem details; sent with Retry-After',
});

export const serviceRoutes = {
  getHealth: defineRoute({
    method: 'GET',
    path: '/health/',
    handler: 'api/service/get-health',
    access: 'public',
    database: 'read',
    summary: 'Liveness and database reachability',
    tags: ['Service'],
    responses: {
      200: { description: 'The API and its database answer', schema: HealthSchema },
      503: { description: 'The database cannot be reached (Retry-After says when to retry)', schema: HealthUnavailableSchema },
    },
  }),
  getOpenApi: defineRoute({
    method: 'GET',
    path: '/openapi.json',
    handler: 'api/service/get-openapi',
    operationId: 'getOpenApiDocument',
    cacheSeconds: 300,
    access: 'public',
    database: false,
    summary: 'This OpenAPI 3.1 document',
    tags: ['Service'],
    responses: { 200: { description: 'The OpenAPI document', schema: OpenApiDocumentSchema } },
  }),
  getDocs: defineRoute({
    method: 'GET',
    path: '/docs/',
    handler: 'api/service/get-docs',
    operationId: 'getApiReference',
    cacheSeconds: 300,
    access: 'public',
    database: false,
    summary: 'Interactive API reference (Swagger UI, served from this API)',
    tags: ['Service'],
    responses: { 200: { description: 'An HTML page', contentType: 'text/html' } },
  }),
  getDocsAsset: defineRoute({
    method: 'GET',
    path: '/docs/assets/{file}',
    handler: 'api/service/get-docs-asset',
    operationId: 'getApiReferenceAsset',
    cacheSeconds: 86_400,
    access: 'public',
    database: false,
    summary: 'Static files of the API reference page',
    tags: ['Service'],
    params: z.object({ file: z.string().max(100) }),
    responses: { 200: { description: 'A script or stylesheet', contentType: ['text/css', 'text/javascript'] }, 404: { description: 'No such file' } },
  }),
  getProblem: defineRoute({
    method: 'GET',
    path: '/problems/{slug}/',
    handler: 'api/service/get-problem',
    operationId: 'getProblemType',
    cacheSeconds: 86_400,
    access: 'public',
    database: false,
    summary: 'What a problem type means',
    description: 'Every error answer is RFC 9457 problem+json whose `type` is this path: a short page with the problem’s status, what it means and what to do.',
    tags: ['Service'],
    params: z.object({ slug: z.string().max(100).meta({ example: 'dates-not-available' }) }),
    responses: {
      200: { description: 'An HTML page', contentType: 'text/html' },
      404: { description: 'No problem type has this slug' },
    },
  }),
};
