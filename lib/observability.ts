import { CfnOutput, Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct, type Node } from 'constructs';
import type { Api } from './api';
import type { ApiFunction } from './api-function';
import { metricsNamespace } from './api-function';
import type { Data } from './data';
import type { StageSettings } from './stage';
import { PAYMENT_MISMATCH_LOG_MESSAGE } from '../functions/core/payments/webhook';

const FIVE_MINUTES = Duration.minutes(5);
const RUNBOOK = 'docs/operations.md, "Alarms and what to do"';

/**
 * Alarms, their SNS topic and a dashboard. Every alarm goes to the topic (an email
 * subscription when context `alarmEmail` is set); docs/operations.md has a runbook entry per
 * alarm, named like the alarm's construct id.
 */
export class Observability extends Construct {
  readonly topic: sns.Topic;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(
    scope: Construct,
    id: string,
    props: {
      stage: StageSettings;
      api: Api;
      data: Data;
      /** Scheduled and queue functions: their errors reach no client, so they alarm on their own. */
      jobs: ApiFunction[];
      /** Alarms made elsewhere (the dead-letter queue's) that must reach the topic too. */
      otherAlarms: cloudwatch.Alarm[];
      deadLetterQueueDepth: cloudwatch.IMetric;
    },
  ) {
    super(scope, id);
    const { stage, api, data } = props;
    const alarmEmail = alarmEmailFromContext(this.node);

    this.topic = new sns.Topic(this, 'AlarmTopic', { displayName: `Phuket Rental ${stage.name} alarms`, enforceSSL: true });
    if (alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(alarmEmail));

    const httpApi = api.httpApi;
    const requests = httpApi.metricCount({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const serverErrors = httpApi.metricServerError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    const latencyP99 = httpApi.metricLatency({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.percentile(99) });

    this.alarm('Api5xxRate', {
      description: 'More than 5 % of API requests answered 5xx for 10 minutes (at least 10 requests per 5 minutes)',
      metric: new cloudwatch.MathExpression({
        expression: 'IF(requests >= 10, 100 * errors / requests, 0)',
        usingMetrics: { requests, errors: serverErrors },
        label: '5xx %',
        period: FIVE_MINUTES,
      }),
      threshold: 5,
      evaluationPeriods: 2,
    });
    this.alarm('ApiLatencyP99', {
      description: `API p99 latency above ${stage.latencyP99AlarmMs} ms for 15 minutes`,
      metric: latencyP99,
      threshold: stage.latencyP99AlarmMs,
      evaluationPeriods: 3,
    });

    // HTTP APIs publish no throttle metric: a 429 in the access log is API Gateway throttling
    // (no function of ours answers 429).
    const throttledFilter = new logs.MetricFilter(this, 'ApiThrottledFilter', {
      logGroup: api.accessLogs,
      filterPattern: logs.FilterPattern.stringValue('$.status', '=', '429'),
      metricNamespace: metricsNamespace(stage),
      metricName: 'ApiThrottledRequests',
      metricValue: '1',
      unit: cloudwatch.Unit.COUNT,
    });
    const apiThrottled = throttledFilter.metric({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM });
    this.alarm('ApiThrottles', {
      description: 'API Gateway throttled 20 or more requests in 5 minutes (route or stage limits: `throttle` in the route table, lib/stage.ts)',
      metric: apiThrottled,
      threshold: 20,
      evaluationPeriods: 1,
    });

    // Money that is not the deposit asked for (functions/core/payments/webhook.ts): the booking
    // stays unconfirmed and a person must look, so one is enough to alarm.
    const webhook = [...api.functions].find(([route]) => route.handler === 'webhooks/stripe')?.[1];
    if (webhook) {
      const mismatchFilter = new logs.MetricFilter(this, 'PaymentAmountMismatchFilter', {
        logGroup: webhook.logGroup,
        filterPattern: logs.FilterPattern.stringValue('$.message', '=', PAYMENT_MISMATCH_LOG_MESSAGE),
        metricNamespace: metricsNamespace(stage),
        metricName: 'PaymentAmountMismatchLogged',
        metricValue: '1',
        unit: cloudwatch.Unit.COUNT,
      });
      this.alarm('PaymentAmountMismatch', {
        description: 'A Stripe payment did not match its booking deposit in amount or currency; the booking was not confirmed',
        metric: mismatchFilter.metric({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 1,
      });
    }

    // Lambda throttles only when the account's concurrency is used up (no function reserves
    // any), so the account-wide metric is the one that matters: every stage shares that pool.
    const lambdaThrottles = new cloudwatch.Metric({
      namespace: 'AWS/Lambda',
      metricName: 'Throttles',
      period: FIVE_MINUTES,
      statistic: cloudwatch.Stats.SUM,
      label: 'Lambda throttles (account)',
    });
    this.alarm('LambdaThrottles', {
      description: 'Lambda throttled invocations in this account and region: concurrency quota used up',
      metric: lambdaThrottles,
      threshold: 1,
      evaluationPeriods: 1,
    });

    for (const job of props.jobs) {
      const name = job.node.id.replace(/Fn$/, '');
      this.alarm(`${name}Errors`, {
        description: `${name} failed in 2 of the last 3 five-minute periods`,
        metric: job.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }),
        threshold: 1,
        evaluationPeriods: 3,
        datapointsToAlarm: 2,
      });
    }

    const proxyName = data.proxy.dbProxyName;
    const proxyMetric = (metricName: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { ProxyName: proxyName },
        period: FIVE_MINUTES,
        statistic: cloudwatch.Stats.MAXIMUM,
        label,
      });
    const pinned = proxyMetric('DatabaseConnectionsCurrentlySessionPinned', 'pinned');
    const databaseConnections = proxyMetric('DatabaseConnections', 'proxy → database');
    const clientConnections = proxyMetric('ClientConnections', 'functions → proxy');
    this.alarm('ProxyPinnedConnections', {
      description:
        'RDS Proxy has held session-pinned connections for 15 minutes (a SET, named prepared statement, temp table or advisory lock went through the proxy)',
      metric: pinned,
      threshold: 1,
      evaluationPeriods: 3,
    });
    this.alarm('DatabaseConnections', {
      description: `RDS Proxy holds ${stage.databaseConnectionsAlarm} or more database connections (about 80 % of max_connections)`,
      metric: databaseConnections,
      threshold: stage.databaseConnectionsAlarm,
      evaluationPeriods: 2,
    });

    const clusterMetric = (metricName: string, statistic: string, label: string) =>
      new cloudwatch.Metric({
        namespace: 'AWS/RDS',
        metricName,
        dimensionsMap: { DBClusterIdentifier: data.cluster.clusterIdentifier },
        period: FIVE_MINUTES,
        statistic,
        label,
      });
    const acuUtilization = clusterMetric('ACUUtilization', cloudwatch.Stats.AVERAGE, 'ACU % of max');
    this.alarm('DatabaseAtMaxCapacity', {
      description: `Aurora has used 90 % or more of its ${stage.maxAcu} ACU maximum for 15 minutes`,
      metric: acuUtilization,
      threshold: 90,
      evaluationPeriods: 3,
    });

    for (const alarm of props.otherAlarms) {
      alarm.addAlarmAction(new SnsAction(this.topic));
      alarm.addOkAction(new SnsAction(this.topic));
      this.alarms.push(alarm);
    }

    const namespace = metricsNamespace(stage);
    const search = (query: string) => new cloudwatch.MathExpression({ expression: `SEARCH('${query}', 'Sum', 300)`, period: FIVE_MINUTES });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `PhuketRental-${stage.name}`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24, height: 4 }));
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'API requests and errors',
        left: [requests, httpApi.metricClientError({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM }), serverErrors, apiThrottled],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'API latency (ms)',
        left: [50, 90, 99].map((p) => httpApi.metricLatency({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.percentile(p), label: `p${p}` })),
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Requests by route and status class',
        left: [search(`{${namespace},service,route,statusClass} MetricName="Requests"`)],
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Cold starts by function',
        left: [search(`{${namespace},service,function_name} MetricName="ColdStart"`)],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Lambda (account): throttles and concurrency',
        left: [lambdaThrottles],
        right: [
          new cloudwatch.Metric({ namespace: 'AWS/Lambda', metricName: 'ConcurrentExecutions', period: FIVE_MINUTES, statistic: cloudwatch.Stats.MAXIMUM }),
        ],
        width: 8,
      }),
      new cloudwatch.GraphWidget({
        title: 'Job errors',
        left: props.jobs.map((job) => job.metricErrors({ period: FIVE_MINUTES, statistic: cloudwatch.Stats.SUM, label: job.node.id })),
        width: 8,
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({ title: 'RDS Proxy connections', left: [clientConnections, databaseConnections, pinned], width: 8 }),
      new cloudwatch.GraphWidget({
        title: 'Aurora capacity',
        left: [clusterMetric('ServerlessDatabaseCapacity', cloudwatch.Stats.AVERAGE, 'ACU')],
        right: [acuUtilization],
        width: 8,
      }),
      new cloudwatch.GraphWidget({ title: 'Notifications dead-letter queue', left: [props.deadLetterQueueDepth], width: 8 }),
    );

    new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'DashboardUrl', {
      value: `https://console.aws.amazon.com/cloudwatch/home?region=${Stack.of(this).region}#dashboards:name=${this.dashboard.dashboardName}`,
    });
  }

  private alarm(
    id: string,
    options: { description: string; metric: cloudwatch.IMetric; threshold: number; evaluationPeriods: number; datapointsToAlarm?: number },
  ): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: `${options.description}. Runbook: ${RUNBOOK}, ${id}.`,
      metric: options.metric,
      threshold: options.threshold,
      evaluationPeriods: options.evaluationPeriods,
      ...(options.datapointsToAlarm ? { datapointsToAlarm: options.datapointsToAlarm } : {}),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      // No data is no traffic (an idle API, a paused database): nothing is wrong.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new SnsAction(this.topic));
    alarm.addOkAction(new SnsAction(this.topic));
    this.alarms.push(alarm);
    return alarm;
  }
}

/** Context `alarmEmail`: where alarms are mailed (the address must confirm the subscription). */
export function alarmEmailFromContext(node: Node): string | undefined {
  const value = node.tryGetContext('alarmEmail') as string | undefined;
  if (value === undefined || value === '') return undefined;
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value)) throw new Error(`Context alarmEmail "${value}" is not an email address`);
  return value;
}
