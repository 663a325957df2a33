import type * as z from 'zod';
import { buildOpenApiDocument } from '#platform/openapi';
import { endpoint } from '#platform/http';
import { OpenApiDocumentSchema, serviceRoutes } from './routes';

let document: z.output<typeof OpenApiDocumentSchema> | undefined;

export const handler = endpoint(serviceRoutes.getOpenApi, async (_request, reply) => {
  // Generated once per container from the route table's zod schemas (and checked to be one).
  document ??= OpenApiDocumentSchema.parse(buildOpenApiDocument());
  return reply(200, document);
});
