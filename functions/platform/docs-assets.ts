import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * The Swagger UI files the docs page loads from this API (no CDN). Locally they come from
 * node_modules; in Lambda the CDK bundling step copies them next to the handler and sets
 * DOCS_ASSETS_DIR.
 */
export const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
};

export function docsAssetsDir(): string {
  if (process.env.DOCS_ASSETS_DIR) return process.env.DOCS_ASSETS_DIR;
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('swagger-ui-dist/package.json'));
}

const cache = new Map<string, string>();

export async function readDocsAsset(file: string): Promise<string | undefined> {
  // hasOwn, not `in`: `constructor` or `__proto__` must not reach the file system.
  if (!Object.hasOwn(DOCS_ASSETS, file)) return undefined;
  let content = cache.get(file);
  if (content === undefined) {
    content = await readFile(path.join(docsAssetsDir(), file), 'utf8');
    cache.set(file, content);
  }
  return content;
}
