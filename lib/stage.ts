import type { ThrottleClass } from '../functions/platform/route';
import type { Node } from 'constructs';
import * as logs from 'aws-cdk-lib/aws-logs';

export type StageName = 'dev' | 'prod';

/** Steady-state requests per second and burst (the token bucket API Gateway applies). */
export interface Throttle {
  rate: number;
  burst: number;
}

/**
 * The throttle classes of the HTTP API: the stage's default, and one per class a route of the
 * route table names (`throttle`: ThrottleClass in functions/platform/route.ts), so a class
 * without numbers does not compile. API Gateway applies them per route and for all clients
 * together (not per client): they protect what sits behind a route (Cognito's quotas, the
 * database, Stripe), they do not stop one abusive client.
 */
export type ThrottleClasses = { default: Throttle } & Record<ThrottleClass, Throttle>;

/** What differs between stages; chosen with `cdk synth -c stage=dev|prod` (default dev). */
export interface StageSettings {
  name: StageName;
  /** Keep data on stack deletion, deletion protection on. */
  retainData: boolean;
  minAcu: number;
  maxAcu: number;
  databaseReader: boolean;
  backupDays: number;
  /** NAT for the functions in the VPC: managed gateways, or one small instance (dev: ~10× cheaper). */
  nat: { kind: 'gateway'; count: number } | { kind: 'instance'; instanceType: string };
  logRetention: logs.RetentionDays;
  throttle: ThrottleClasses;
  /** Alarm when the proxy holds this many database connections (about 80 % of max_connections at maxAcu). */
  databaseConnectionsAlarm: number;
  /** Alarm when the API's p99 latency stays above this many milliseconds. */
  latencyP99AlarmMs: number;
  /**
   * With context `waf=true` only (lib/waf-stack.ts): requests one client IP may send in any
   * 5 minutes before WAF blocks it with 429. Per client, unlike the API's throttles.
   */
  wafRequestsPerIpPer5Minutes: number;
}

const STAGES: Record<StageName, StageSettings> = {
  dev: {
    name: 'dev',
    retainData: false,
    minAcu: 0, // Aurora Serverless v2 pauses when idle: pay for storage only
    maxAcu: 2,
    databaseReader: false,
    backupDays: 1,
    nat: { kind: 'instance', instanceType: 't4g.nano' },
    logRetention: logs.RetentionDays.ONE_WEEK,
    throttle: {
      default: { rate: 50, burst: 100 },
      auth: { rate: 5, burst: 10 },
      booking: { rate: 5, burst: 10 },
    },
    // Aurora sizes max_connections from the memory of maxAcu (2 ACU ≈ 4 GiB: a few hundred);
    // docs/operations.md says how to read the real value and adjust this.
    databaseConnectionsAlarm: 150,
    latencyP99AlarmMs: 5000,
    wafRequestsPerIpPer5Minutes: 1000,
  },
  prod: {
    name: 'prod',
    retainData: true,
    minAcu: 0.5,
    maxAcu: 16,
    databaseReader: true,
    backupDays: 14,
    nat: { kind: 'gateway', count: 2 },
    logRetention: logs.RetentionDays.THREE_MONTHS,
    throttle: {
      default: { rate: 500, burst: 1000 },
      auth: { rate: 20, burst: 40 },
      booking: { rate: 25, burst: 50 },
    },
    // 16 ACU ≈ 32 GiB: a few thousand connections; check SHOW max_connections after the first deploy.
    databaseConnectionsAlarm: 2000,
    latencyP99AlarmMs: 2500,
    // ≈ 3 requests/s sustained: a person searching is far below; a hotel Wi-Fi or a carrier
    // NAT shares one address, so watch the rule's sampled requests before lowering it.
    wafRequestsPerIpPer5Minutes: 1000,
  },
};

export function stageFromContext(node: Node): StageSettings {
  const name = (node.tryGetContext('stage') as string | undefined) ?? 'dev';
  const settings = STAGES[name as StageName];
  if (!settings) throw new Error(`Unknown stage "${name}": use -c stage=dev or -c stage=prod`);
  return settings;
}
