import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { Data } from '../../lib/data';
import { Notifications } from '../../lib/notifications';
import { stageFromContext } from '../../lib/stage';

/**
 * The construct alone in a fresh stack, synthesised without bundling (resources only) and without
 * the CDK's built-in CloudFormation validation (seconds of WebAssembly per process): a stack that
 * is never deployed; the CLI synth of the whole app (test/setup/infra.ts) validates the real one.
 */
function synthesize(context: Record<string, unknown> = {}): Template {
  const app = new App({ context: { stage: 'dev', 'aws:cdk:bundling-stacks': [], ...context }, builtinCloudFormationValidation: false });
  const stack = new Stack(app, 'NotificationsTest');
  const stage = stageFromContext(app.node);
  const data = new Data(stack, 'Data', stage);
  new Notifications(stack, 'Notifications', { stage, data });
  return Template.fromStack(stack);
}

interface Statement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
}

const actionsOf = (statement: Statement) => [statement.Action].flat();

describe('the notifications construct', () => {
  let template: Template;
  beforeAll(() => {
    template = synthesize();
  }, 120_000);

  function queues() {
    const all = Object.entries(template.findResources('AWS::SQS::Queue'));
    expect(all).toHaveLength(2);
    const main = all.find(([, queue]) => queue.Properties.RedrivePolicy);
    const dlq = all.find(([, queue]) => !queue.Properties.RedrivePolicy);
    return { main: main!, dlq: dlq! };
  }

  function functionCalled(description: RegExp): { id: string; properties: any } {
    const found = Object.entries(template.findResources('AWS::Lambda::Function')).filter(([, fn]) => description.test(fn.Properties.Description ?? ''));
    expect(found, String(description)).toHaveLength(1);
    return { id: found[0]![0], properties: found[0]![1].Properties };
  }
  const dispatcher = () => functionCalled(/^Moves due notifications/);
  const consumer = () => functionCalled(/^Renders and sends/);
  const reminders = () => functionCalled(/^Queues pickup reminders/);

  function statementsOf(fn: { properties: any }, from: Template = template): Statement[] {
    const roleId = fn.properties.Role['Fn::GetAtt'][0] as string;
    return Object.values(from.findResources('AWS::IAM::Policy'))
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
  }

  it('queues notifications in an encrypted FIFO queue that moves a message to its dead-letter queue after 5 receives', () => {
    const { main, dlq } = queues();
    expect(main[1].Properties).toMatchObject({
      FifoQueue: true,
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 180,
      RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': [dlq[0], 'Arn'] }, maxReceiveCount: 5 },
    });
    expect(main[1].Properties.ContentBasedDeduplication).not.toBe(true); // deduplicated by outbox id instead
    expect(dlq[1].Properties).toMatchObject({ FifoQueue: true, SqsManagedSseEnabled: true, MessageRetentionPeriod: 14 * 24 * 3600 });
  });

  it('refuses any request to either queue that is not over TLS', () => {
    const { main, dlq } = queues();
    for (const [id] of [main, dlq]) {
      const policies = Object.values(template.findResources('AWS::SQS::QueuePolicy')).filter((policy) =>
        JSON.stringify(policy.Properties.Queues).includes(`"${id}"`),
      );
      const statements = policies.flatMap((policy) => policy.Properties.PolicyDocument.Statement);
      expect(statements, id).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('feeds the consumer from the queue in batches of 10 and reports failed items only', () => {
    const { main } = queues();
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping'));
    expect(mappings).toHaveLength(1);
    expect(mappings[0]!.Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': [main[0], 'Arn'] },
      FunctionName: { Ref: consumer().id },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('runs the dispatcher every minute and queues reminders daily at 01:00 UTC, 08:00 in Bangkok', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [dispatcher().id, 'Arn'] } })],
    });
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(0 1 * * ? *)',
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [reminders().id, 'Arn'] } })],
    });
    expect(Object.keys(template.findResources('AWS::Events::Rule'))).toHaveLength(2);
  });

  it('gives the dispatcher the queue URL and lets it, and no other function, send messages to the queue', () => {
    const { main } = queues();
    expect(dispatcher().properties.Environment.Variables.NOTIFICATIONS_QUEUE_URL).toEqual({ Ref: main[0] });
    const sends = (fn: { properties: any }) => statementsOf(fn).filter((statement) => actionsOf(statement).includes('sqs:SendMessage'));
    expect(sends(dispatcher())).toEqual([expect.objectContaining({ Effect: 'Allow', Resource: { 'Fn::GetAtt': [main[0], 'Arn'] } })]);
    expect(sends(consumer())).toEqual([]);
    expect(sends(reminders())).toEqual([]);
  });

  it('lets only the consumer send email, with ses:SendEmail on the configured identity alone', () => {
    const identities = Object.entries(template.findResources('AWS::SES::EmailIdentity'));
    expect(identities).toHaveLength(1);
    const [identityId, identity] = identities[0]!;
    expect(identity.Properties.EmailIdentity).toBe('noreply@example.com');
    expect(consumer().properties.Environment.Variables.EMAIL_FROM).toBe('noreply@example.com');

    const sesStatements = statementsOf(consumer()).filter((statement) => actionsOf(statement).some((action) => action.startsWith('ses:')));
    expect(sesStatements).toHaveLength(1);
    expect(actionsOf(sesStatements[0]!)).toEqual(['ses:SendEmail']);
    const resource = JSON.stringify(sesStatements[0]!.Resource);
    expect(resource).toContain(':identity/');
    expect(resource).toContain(`"Ref":"${identityId}"`);
    expect(resource).not.toContain('*');
    for (const other of [dispatcher(), reminders()]) {
      expect(
        statementsOf(other)
          .flatMap(actionsOf)
          .filter((action) => action.startsWith('ses:')),
      ).toEqual([]);
    }
  });

  it('sends from the address in context sesFromAddress, and refuses one that is no address', () => {
    const custom = synthesize({ sesFromAddress: 'bookings@phuket-rental.example' });
    custom.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'bookings@phuket-rental.example' });
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Renders and sends'),
      Environment: { Variables: Match.objectLike({ EMAIL_FROM: 'bookings@phuket-rental.example' }) },
    });
    expect(() => synthesize({ sesFromAddress: 'not an address' })).toThrow(/sesFromAddress/);
  }, 120_000);

  it('sends no SMS unless context smsEnabled is true, and then may publish to SNS', () => {
    const publishes = (from: Template, fn: { properties: any }) => statementsOf(fn, from).filter((statement) => actionsOf(statement).includes('sns:Publish'));
    expect(consumer().properties.Environment.Variables.SMS_ENABLED).toBe('false');
    expect(publishes(template, consumer())).toEqual([]);

    const withSms = synthesize({ smsEnabled: 'true' });
    const [, fn] = Object.entries(withSms.findResources('AWS::Lambda::Function')).find(([, resource]) =>
      /^Renders and sends/.test(resource.Properties.Description),
    )!;
    expect(fn.Properties.Environment.Variables.SMS_ENABLED).toBe('true');
    expect(publishes(withSms, { properties: fn.Properties })).toHaveLength(1);
  }, 120_000);

  it('alarms as soon as one message is in the dead-letter queue', () => {
    const { dlq } = queues();
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq[0], 'QueueName'] } }],
      Statistic: 'Maximum',
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('runs the three functions in the VPC, connecting to RDS Proxy with IAM auth', () => {
    for (const fn of [dispatcher(), consumer(), reminders()]) {
      expect(fn.properties.VpcConfig, fn.properties.Description).toBeDefined();
      expect(fn.properties.Runtime).toBe('nodejs24.x');
      expect(fn.properties.Environment.Variables).toMatchObject({ DB_IAM_AUTH: 'true', DB_HOST: expect.anything(), STAGE: 'dev' });
      expect(statementsOf(fn).flatMap(actionsOf), fn.properties.Description).toContain('rds-db:connect');
    }
  });
});
