import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { inject } from 'vitest';
import type { StageName } from '../../lib/stage';

interface Manifest {
  artifacts: Record<string, { type: string; properties?: { templateFile?: string; stackName?: string } }>;
}

interface NagReport {
  pluginReports: Array<{ violations: Array<{ ruleName: string; violatingConstructs: Array<{ constructPath: string }> }> }>;
}

export interface Synthesized {
  /** The cloud assembly directory the CLI wrote. */
  outdir: string;
  /** The stacks of the assembly, by CloudFormation stack name. */
  stackNames: string[];
  /** `PhuketRental-<stage>`, as the CLI synthesised it (functions bundled). */
  template: Template;
  /** cdk-nag's findings, `<rule> <construct path>` each: what the policy-validation report lists. */
  findings: string[];
}

const cache = new Map<StageName, Synthesized>();

/**
 * A stage as `cdk synth` wrote it in test/setup/infra.ts: the same templates a deploy uploads,
 * synthesised once per infra run and read here once per file.
 */
export function synthesized(stage: StageName): Synthesized {
  const known = cache.get(stage);
  if (known) return known;
  const outdir = inject('cloudAssemblies')[stage];
  const read = <T>(file: string): T => JSON.parse(readFileSync(path.join(outdir, file), 'utf8')) as T;
  // A stack artifact's id is its stack name unless the stack was given another.
  const stacks = Object.entries(read<Manifest>('manifest.json').artifacts)
    .filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack')
    .map(([id, artifact]) => ({ stackName: artifact.properties?.stackName ?? id, templateFile: artifact.properties?.templateFile }));
  const main = stacks.find((stack) => stack.stackName === `PhuketRental-${stage}`);
  if (!main?.templateFile) throw new Error(`no PhuketRental-${stage} in ${outdir}/manifest.json`);
  const result: Synthesized = {
    outdir,
    stackNames: stacks.map((stack) => stack.stackName),
    template: Template.fromJSON(read(main.templateFile)),
    findings: nagFindings(outdir),
  };
  cache.set(stage, result);
  return result;
}

/** cdk-nag's findings in the policy-validation report a synth wrote to `outdir`, `<rule> <construct path>` each. */
export function nagFindings(outdir: string): string[] {
  const report = JSON.parse(readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as NagReport;
  return report.pluginReports.flatMap((plugin) =>
    plugin.violations.flatMap((violation) => violation.violatingConstructs.map((construct) => `${violation.ruleName} ${construct.constructPath}`)),
  );
}
