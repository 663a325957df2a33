import type { Node } from 'constructs';
import * as logs from 'aws-cdk-lib/aws-logs';

export type StageName = 'dev' | 'prod';

/** What differs between stages; chosen with `cdk synth -c stage=dev|prod` (default dev). */
export interface StageSettings {
  name: StageName;
  /** Keep data on stack deletion, deletion protection on. */
  retainData: boolean;
  minAcu: number;
  maxAcu: number;
  databaseReader: boolean;
  backupDays: number;
  natGateways: number;
  logRetention: logs.RetentionDays;
  /** Steady-state requests per second and burst for the whole HTTP API. */
  throttle: { rate: number; burst: number };
}

const STAGES: Record<StageName, StageSettings> = {
  dev: {
    name: 'dev',
    retainData: false,
    minAcu: 0, // Aurora Serverless v2 pauses when idle: pay for storage only
    maxAcu: 2,
    databaseReader: false,
    backupDays: 1,
    natGateways: 1,
    logRetention: logs.RetentionDays.ONE_WEEK,
    throttle: { rate: 50, burst: 100 },
  },
  prod: {
    name: 'prod',
    retainData: true,
    minAcu: 0.5,
    maxAcu: 16,
    databaseReader: true,
    backupDays: 14,
    natGateways: 2,
    logRetention: logs.RetentionDays.THREE_MONTHS,
    throttle: { rate: 500, burst: 1000 },
  },
};

export function stageFromContext(node: Node): StageSettings {
  const name = (node.tryGetContext('stage') as string | undefined) ?? 'dev';
  const settings = STAGES[name as StageName];
  if (!settings) throw new Error(`Unknown stage "${name}": use -c stage=dev or -c stage=prod`);
  return settings;
}
