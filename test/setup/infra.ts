import { execFile } from 'node:child_process';
import { accessSync, constants, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { PROJECT_ROOT } from '../../lib/api-function';
import type { StageName } from '../../lib/stage';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The cloud assembly directory `cdk synth` wrote for each stage (test/infra/synthesized.ts reads it). */
    cloudAssemblies: Record<StageName, string>;
  }
}

const STAGES: readonly StageName[] = ['dev', 'prod'];

/**
 * Once per infra run: `cdk synth` of each stage through the pinned CLI and bin/app.ts, as
 * `npm run synth` and a deploy do it (every function bundled with esbuild, cdk-nag's checks, the
 * CDK's CloudFormation validation), offline and without credentials. The test files read these
 * templates and synthesise only the variants they are about (another context, a tampered stack).
 *
 * Why it used to be slow (stack.test.ts once took 460 s): the stack was bundled three times per
 * run (in-process, then the CLI for each stage), on top of a dozen unbundled synths, and the CDK
 * starts esbuild once per function (~45) through `npx --no-install esbuild`, whose npm start-up
 * costs more than the bundling itself. Here each stage is bundled once, and `npx --no-install`
 * of a binary in node_modules/.bin runs that binary directly (the shim below): the same esbuild
 * with the same arguments, about three times faster.
 */
export default async function setup(project: TestProject) {
  const root = mkdtempSync(path.join(os.tmpdir(), 'rental-cdk-'));
  try {
    const shimDir = writeNpxShim(path.join(root, 'bin'));
    // Side by side: most of each CLI's time is one short process after another.
    const entries = await Promise.all(
      STAGES.map(async (stage) => {
        const outdir = path.join(root, stage);
        await synth(stage, outdir, shimDir);
        return [stage, outdir] as const;
      }),
    );
    project.provide('cloudAssemblies', Object.fromEntries(entries) as Record<StageName, string>);
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return () => rmSync(root, { recursive: true, force: true });
}

async function synth(stage: StageName, outdir: string, shimDir: string | undefined): Promise<void> {
  const cdk = path.join(PROJECT_ROOT, 'node_modules', '.bin', 'cdk');
  // The CLI, the app (`npx tsx bin/app.ts`) and the bundling on the Node that runs the tests (24).
  const pathDirs = [shimDir, path.dirname(process.execPath), process.env.PATH].filter(Boolean);
  try {
    await promisify(execFile)(cdk, ['synth', '--quiet', '--no-notices', '-c', `stage=${stage}`, '-o', outdir], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        PATH: pathDirs.join(path.delimiter),
        // No credentials and no network: synth must need neither.
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_SESSION_TOKEN: '',
        AWS_PROFILE: '',
        CDK_DISABLE_VERSION_CHECK: '1',
        CDK_DISABLE_CLI_TELEMETRY: 'true',
      },
      maxBuffer: 64 * 1024 * 1024,
      // Generous, never reached: both stages take well under a minute on a quiet 2-core machine.
      timeout: 900_000,
    });
  } catch (error) {
    const { stderr, stdout } = error as { stderr?: string; stdout?: string };
    throw new Error(`cdk synth -c stage=${stage} failed:\n${stderr ?? ''}\n${stdout ?? ''}`.trim(), { cause: error });
  }
}

/**
 * An `npx` that runs `npx --no-install <bin> …` as `./node_modules/.bin/<bin> …` when that file
 * exists (what npx itself would resolve), and hands everything else to the real npx. Returns its
 * directory, or undefined (no shim) where there is no npx on PATH or no POSIX shell.
 */
function writeNpxShim(dir: string): string | undefined {
  if (process.platform === 'win32') return undefined;
  const realNpx = (process.env.PATH ?? '')
    .split(path.delimiter)
    .map((entry) => path.join(entry, 'npx'))
    .find((candidate) => {
      try {
        accessSync(candidate, constants.X_OK);
        return true;
      } catch {
        return false;
      }
    });
  if (!realNpx) return undefined;
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'npx'),
    [
      '#!/bin/sh',
      'if [ "$1" = "--no-install" ] && [ -x "$PWD/node_modules/.bin/$2" ]; then',
      '  bin="$PWD/node_modules/.bin/$2"; shift 2; exec "$bin" "$@"',
      'fi',
      `exec '${realNpx}' "$@"`,
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  return dir;
}
