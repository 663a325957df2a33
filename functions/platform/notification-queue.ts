import { ChangeMessageVisibilityCommand, SQSClient, SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { queueMessageBody, type NotificationQueue } from '#core/notifications/delivery';
import { defineConfig } from './config';

const queueConfig = defineConfig(
  'notification queue',
  z.object({
    // Set in AWS (the dispatcher and the consumer); unset locally, where drainOutbox delivers instead.
    NOTIFICATIONS_QUEUE_URL: z.url().optional(),
    AWS_REGION: z.string().default('ap-southeast-1'),
  }),
);

type Sqs = Pick<SQSClient, 'send'>;

let client: SQSClient | undefined;
const sqs = (): SQSClient => (client ??= new SQSClient({ region: queueConfig().AWS_REGION }));

/**
 * The NotificationQueue port on an SQS FIFO queue: one SendMessageBatch per batch, each entry
 * keyed by its outbox id (entry Id, MessageDeduplicationId, and its own MessageGroupId so
 * messages never wait on each other). A re-sent id within SQS's 5-minute window is dropped.
 */
export function sqsNotificationQueue(sqsClient: Sqs, queueUrl: string): NotificationQueue {
  return {
    async sendBatch(notificationIds) {
      if (notificationIds.length === 0) return { failedIds: [] };
      const answer = await sqsClient.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: notificationIds.map((id) => ({
            Id: id,
            MessageBody: queueMessageBody(id),
            MessageGroupId: id,
            MessageDeduplicationId: id,
          })),
        }),
      );
      return { failedIds: (answer.Failed ?? []).map((failure) => failure.Id!).filter(Boolean) };
    },
  };
}

function queueUrl(): string {
  const url = queueConfig().NOTIFICATIONS_QUEUE_URL;
  if (!url) throw new Error('Invalid notification queue configuration: NOTIFICATIONS_QUEUE_URL is not set');
  return url;
}

/** The deployed queue (NOTIFICATIONS_QUEUE_URL). */
export function notificationQueue(): NotificationQueue {
  return sqsNotificationQueue(sqs(), queueUrl());
}

/**
 * Backoff for failed messages of the deployed queue: a message becomes visible again only
 * after `delaySeconds` (SQS caps a visibility timeout at 12 h). Undefined without a queue URL.
 */
export function redeliveryDelay(sqsClient?: Sqs): ((receiptHandle: string, delaySeconds: number) => Promise<void>) | undefined {
  const url = queueConfig().NOTIFICATIONS_QUEUE_URL;
  if (!url) return undefined;
  return async (receiptHandle, delaySeconds) => {
    await (sqsClient ?? sqs()).send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: Math.min(Math.max(0, Math.round(delaySeconds)), 43_200),
      }),
    );
  };
}
