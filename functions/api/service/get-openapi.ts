import { buildOpenApiDocument } from '#platform/openapi';
import { endpoint, json } from '#platform/http';
import { serviceRoutes } from './routes';

let document: object | undefined;

export const handler = endpoint(serviceRoutes.getOpenApi, async () => {
  // Generated once per container from the route table's zod schemas.
  document ??= buildOpenApiDocument();
  return json(200, document);
});
