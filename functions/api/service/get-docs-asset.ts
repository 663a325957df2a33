import { NotFound } from '#core/errors';
import { DOCS_ASSETS, readDocsAsset } from '#platform/docs-assets';
import { endpoint } from '#platform/http';
import { serviceRoutes } from './routes';

export const handler = endpoint(serviceRoutes.getDocsAsset, async ({ params }, reply) => {
  const content = await readDocsAsset(params.file);
  if (content === undefined) throw new NotFound(`No documentation asset named ${params.file}.`);
  return reply(200, content, { 'content-type': DOCS_ASSETS[params.file]! });
});
