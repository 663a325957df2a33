import { SendMessageBatchCommand } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { DISPATCH_LEASE_SECONDS, parseQueueMessage, queueMessageBody, SEND_LEASE_SECONDS } from '#core/notifications/delivery';
import { CONSUMER_TIMEOUT_SECONDS, MAX_DELIVERY_ATTEMPTS, retryDelaySeconds } from '#core/notifications/policy';
import { publicName } from '#core/reviews/reviews';
import { sqsNotificationQueue } from '#platform/notification-queue';

describe('retries', () => {
  it('wait 30 s, then twice as long each time, never more than an hour; 5 attempts in all', () => {
    expect([1, 2, 3, 4, 5].map(retryDelaySeconds)).toEqual([30, 60, 120, 240, 480]);
    expect(retryDelaySeconds(20)).toBe(3600);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(5);
  });
});

describe('leases', () => {
  it("outlast a live consumer's send and lapse before the queue redelivers a dead one's message", () => {
    expect(SEND_LEASE_SECONDS).toBeGreaterThan(CONSUMER_TIMEOUT_SECONDS);
    // The queue's visibility timeout is 6 × the consumer's timeout (lib/notifications.ts).
    expect(SEND_LEASE_SECONDS).toBeLessThan(6 * CONSUMER_TIMEOUT_SECONDS);
    // The dispatcher's Lambda timeout is 50 s (lib/notifications.ts).
    expect(DISPATCH_LEASE_SECONDS).toBeGreaterThan(50);
  });
});

describe('queue messages', () => {
  it('carry the outbox id only, and anything else is refused', () => {
    const id = '6f1c2a4e-9d3b-4c1a-8e7f-0a1b2c3d4e5f';
    expect(JSON.parse(queueMessageBody(id))).toEqual({ notification_id: id });
    expect(parseQueueMessage(queueMessageBody(id))).toBe(id);
    for (const body of ['', 'null', '{}', '{"notification_id":"42"}', 'not json']) expect(() => parseQueueMessage(body)).toThrow();
  });

  it('go to SQS in one SendMessageBatch, each keyed by its outbox id for FIFO deduplication', async () => {
    const sent: SendMessageBatchCommand[] = [];
    const client = {
      send: async (command: SendMessageBatchCommand) => {
        sent.push(command);
        return { Successful: [], Failed: [{ Id: 'b', Code: 'InternalError', SenderFault: false }] };
      },
    };
    const queue = sqsNotificationQueue(client as never, 'https://sqs.ap-southeast-1.amazonaws.com/000000000000/notifications.fifo');
    expect(await queue.sendBatch(['a', 'b'])).toEqual({ failedIds: ['b'] });
    expect(sent).toHaveLength(1);
    expect(sent[0]).toBeInstanceOf(SendMessageBatchCommand);
    expect(sent[0]!.input).toEqual({
      QueueUrl: 'https://sqs.ap-southeast-1.amazonaws.com/000000000000/notifications.fifo',
      Entries: [
        { Id: 'a', MessageBody: '{"notification_id":"a"}', MessageGroupId: 'a', MessageDeduplicationId: 'a' },
        { Id: 'b', MessageBody: '{"notification_id":"b"}', MessageGroupId: 'b', MessageDeduplicationId: 'b' },
      ],
    });
    expect(await queue.sendBatch([])).toEqual({ failedIds: [] });
    expect(sent).toHaveLength(1);
  });
});

describe('reviewer names in public', () => {
  it('show the first name and the initial of the last name only', () => {
    expect(publicName('Somchai Kittisak')).toBe('Somchai K.');
    expect(publicName('  anna  maria  müller ')).toBe('anna M.');
    expect(publicName('Madonna')).toBe('Madonna');
    expect(publicName('สมชาย ใจดี')).toBe('สมชาย ใ.');
    expect(publicName('   ')).toBe('Guest');
  });
});
