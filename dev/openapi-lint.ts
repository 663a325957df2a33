import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument } from '#platform/openapi';

/**
 * `npm run lint:openapi`: writes the OpenAPI document exactly as GET /api/v1/openapi.json
 * serves it (built from the route table, no server needed) to .data/openapi.json, then runs
 * Redocly's linter on it with redocly.yaml. Offline: Redocly's telemetry and update check are
 * turned off. Exits with Redocly's status (non-zero on any error).
 */
const root = path.resolve(import.meta.dirname, '..');
const file = path.join(root, '.data', 'openapi.json');
mkdirSync(path.dirname(file), { recursive: true });
writeFileSync(file, `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);
console.log(`wrote ${path.relative(root, file)}`);

const result = spawnSync(
  path.join(root, 'node_modules', '.bin', 'redocly'),
  ['lint', file, '--config', path.join(root, 'redocly.yaml'), ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' } },
);
process.exit(result.status ?? 1);
