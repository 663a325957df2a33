import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { consumeNotificationMessages } from '#core/notifications/delivery';
import { getDb } from '#platform/db';
import { logger } from '#platform/logger';
import { redeliveryDelay } from '#platform/notification-queue';
import { notificationSender } from '#platform/notifications';

/**
 * The queue consumer (SQS event source, batches of up to 10, ReportBatchItemFailures): renders
 * and sends each message's notification once (a redelivered message whose row is already sent
 * is skipped) and reports only the failed messages, which SQS redelivers after the backoff
 * and moves to the DLQ after 5 receives.
 */
export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const delay = redeliveryDelay();
  const result = await consumeNotificationMessages(getDb('write'), notificationSender(), event.Records, {
    ...(delay ? { retryLater: (record, seconds) => delay(record.receiptHandle, seconds) } : {}),
  });
  for (const failure of result.errors) {
    logger.warn('notification not delivered', { messageId: failure.messageId, notificationId: failure.notificationId, error: failure.error });
  }
  if (result.outcomes.missing > 0) logger.warn('messages for unknown notifications acknowledged', { count: result.outcomes.missing });
  // Duplicates of a message another consumer is sending: its own message covers the row.
  if (result.outcomes['in-flight'] > 0) logger.info('messages for notifications being sent elsewhere acknowledged', { count: result.outcomes['in-flight'] });
  return { batchItemFailures: result.failedMessageIds.map((messageId) => ({ itemIdentifier: messageId })) };
}
