import path from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { BUNDLE_ALIASES, BUNDLING, PROJECT_ROOT } from '../../lib/api-function';

/**
 * What a cold start loads is decided by the bundle (docs/benchmarks.md, "Cold starts"): these
 * guard the measured causes from coming back. Bundled as the stack bundles (lib/api-function.ts).
 */
async function bundle(handler: string) {
  const result = await build({
    entryPoints: [path.join(PROJECT_ROOT, 'functions', `${handler}.ts`)],
    bundle: true,
    write: false,
    outfile: 'index.mjs',
    platform: 'node',
    format: 'esm',
    target: BUNDLING.target,
    minify: BUNDLING.minify,
    mainFields: BUNDLING.mainFields,
    banner: { js: BUNDLING.banner },
    alias: BUNDLE_ALIASES,
    metafile: true,
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
  });
  return { code: result.outputFiles[0]!.text, inputs: Object.keys(result.metafile.inputs) };
}

describe('a database function bundle', () => {
  it('carries no AWS SDK (the RDS token is signed with node:crypto) and no ESM import of node:http', async () => {
    const { code, inputs } = await bundle('api/service/get-health');
    expect(inputs.filter((input) => /node_modules\/(@aws-sdk|@smithy)\//.test(input))).toEqual([]);
    // An ESM import of node:http makes Node read every export, WebSocket's included, which loads undici (~25 ms).
    expect(code).not.toMatch(/from\s*["'](node:)?http["']/);
    expect(inputs).toContain('functions/platform/node-http.cjs');
  }, 30_000);

  it('for a payment function reads the Stripe secret without the Secrets Manager client', async () => {
    const { inputs } = await bundle('api/bookings/create-booking');
    expect(inputs.filter((input) => /node_modules\/(@aws-sdk|@smithy)\//.test(input))).toEqual([]);
  }, 30_000);
});
