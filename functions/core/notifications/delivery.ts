import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { MAX_DELIVERY_ATTEMPTS, RETRY_BASE_SECONDS, RETRY_MAX_SECONDS, retryDelaySeconds } from './policy';
import type { NotificationStatus } from './table';
import { renderNotification, SECRET_PAYLOAD_MEMBERS, UnrenderableNotification } from './templates';

/**
 * Delivery of the outbox (docs/notifications.md):
 * - in AWS, `dispatchOutbox` moves pending rows to the queue every minute and the queue's
 *   consumer calls `consumeNotificationMessages`;
 * - locally (no queue), `drainOutbox` claims pending rows and delivers them in process.
 * Both end in `deliverNotification`, the one idempotent send: a row is sent at most once
 * however often its message arrives, barring a crash between the send and the commit.
 */

export interface OutgoingEmail {
  notificationId: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export interface OutgoingSms {
  notificationId: string;
  kind: string;
  to: string;
  text: string;
}

/** The port to the providers: SES (email) and SNS (SMS) in AWS, the SES emulator locally. */
export interface NotificationSender {
  sendEmail(email: OutgoingEmail): Promise<void>;
  /** Absent while SMS is off: SMS rows are then marked 'skipped', not sent. */
  sendSms?(sms: OutgoingSms): Promise<void>;
}

/** The port to the queue between dispatcher and consumer (SQS FIFO in AWS). */
export interface NotificationQueue {
  /** One message per outbox id (at most 10); answers the ids the queue refused. */
  sendBatch(notificationIds: string[]): Promise<{ failedIds: string[] }>;
}

export type DeliveryOutcome = 'sent' | 'skipped' | 'already-delivered' | 'missing';

/**
 * Sends one notification unless it was sent already. The conditional UPDATE … WHERE status
 * NOT IN ('sent', 'skipped') RETURNING marks it sent and locks it; the send happens while the
 * lock is held and the transaction commits after it. A second delivery of the same id
 * (a redelivered or duplicated message) waits for the first and then matches no row: skipped.
 * If the send throws, everything rolls back and the caller records the failure.
 */
export async function deliverNotification(db: Kysely<Database>, sender: NotificationSender, notificationId: string): Promise<DeliveryOutcome> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable('notifications')
      .set({ status: 'sent', sent_at: sql<Date>`now()`, attempts: sql<number>`attempts + 1`, last_error: null })
      .where('id', '=', notificationId)
      .where('status', 'not in', ['sent', 'skipped'])
      .returning(['id', 'kind', 'channel', 'recipient', 'payload'])
      .executeTakeFirst();
    if (!row) {
      const exists = await trx.selectFrom('notifications').select('id').where('id', '=', notificationId).executeTakeFirst();
      return exists ? 'already-delivered' : 'missing';
    }
    const message = renderNotification(row.kind, row.payload);
    if (row.channel === 'sms') {
      if (!sender.sendSms) {
        await trx.updateTable('notifications').set({ status: 'skipped', sent_at: null }).where('id', '=', row.id).execute();
        return 'skipped';
      }
      await sender.sendSms({ notificationId: row.id, kind: row.kind, to: row.recipient, text: message.sms });
    } else {
      await sender.sendEmail({
        notificationId: row.id,
        kind: row.kind,
        to: row.recipient,
        subject: message.subject,
        text: message.text,
        html: message.html,
      });
    }
    await forgetSecrets(trx, row.id, row.payload);
    return 'sent';
  });
}

/**
 * A sent message's one-time code leaves the outbox with the send: the database then keeps
 * only its hash. (A skipped SMS keeps it: locally, with SMS off, the row is where it is read.)
 */
async function forgetSecrets(trx: Kysely<Database>, notificationId: string, payload: unknown): Promise<void> {
  const secrets = SECRET_PAYLOAD_MEMBERS.filter((member) => Object.hasOwn((payload ?? {}) as object, member));
  if (secrets.length === 0) return;
  await trx
    .updateTable('notifications')
    .set({ payload: sql<string>`payload - ${sql.val(secrets)}::text[]` })
    .where('id', '=', notificationId)
    .execute();
}

export interface RecordedFailure {
  attempts: number;
  status: NotificationStatus;
  availableAt: Date;
}

/**
 * After a failed send: attempts + 1, the error, and the next try no sooner than the backoff
 * (30 s, 60 s, 120 s … capped at an hour). The row keeps its status ('pending' locally,
 * 'dispatched' while the queue retries) until the last attempt, or at once for a row that can
 * never be rendered, which makes it 'failed'. Undefined if the row is gone or was delivered.
 */
export async function recordFailure(db: Kysely<Database>, notificationId: string, error: unknown): Promise<RecordedFailure | undefined> {
  const permanent = error instanceof UnrenderableNotification;
  const detail = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1000);
  const row = await db
    .updateTable('notifications')
    .set({
      attempts: sql<number>`attempts + 1`,
      last_error: detail,
      available_at: sql<Date>`now() + make_interval(secs => least(${sql.lit(RETRY_BASE_SECONDS)} * power(2, attempts), ${sql.lit(RETRY_MAX_SECONDS)}))`,
      status: sql<NotificationStatus>`CASE WHEN ${sql.lit(permanent)} OR attempts + 1 >= ${sql.lit(MAX_DELIVERY_ATTEMPTS)} THEN 'failed' ELSE status END`,
    })
    .where('id', '=', notificationId)
    .where('status', 'not in', ['sent', 'skipped'])
    .returning(['attempts', 'status', 'available_at'])
    .executeTakeFirst();
  return row ? { attempts: row.attempts, status: row.status, availableAt: row.available_at } : undefined;
}

export interface DrainResult {
  sent: number;
  skipped: number;
  failed: number;
}

/**
 * Local delivery without a queue (the dev server every few seconds, and tests): claims
 * pending rows that are due, a batch at a time, and delivers each through the same
 * idempotent path the queue consumer uses. Claiming takes the rows FOR UPDATE SKIP LOCKED and
 * moves their available_at past a lease, so concurrent drains never take the same row, and a
 * drain that dies leaves its rows to be claimed again once the lease ends.
 */
export async function drainOutbox(
  db: Kysely<Database>,
  sender: NotificationSender,
  options: { batchSize?: number; maxBatches?: number; leaseSeconds?: number } = {},
): Promise<DrainResult> {
  const batchSize = options.batchSize ?? 25;
  const maxBatches = options.maxBatches ?? 20;
  const leaseSeconds = options.leaseSeconds ?? 120;
  const result: DrainResult = { sent: 0, skipped: 0, failed: 0 };
  for (let batch = 0; batch < maxBatches; batch++) {
    const { rows } = await sql<{ id: string }>`
      WITH due AS (
        SELECT id FROM notifications
        WHERE status = 'pending' AND available_at <= now()
        ORDER BY available_at
        LIMIT ${batchSize}
        FOR UPDATE SKIP LOCKED
      )
      UPDATE notifications SET available_at = now() + make_interval(secs => ${leaseSeconds})
      FROM due WHERE notifications.id = due.id
      RETURNING notifications.id`.execute(db);
    for (const { id } of rows) {
      try {
        const outcome = await deliverNotification(db, sender, id);
        if (outcome === 'sent') result.sent++;
        else if (outcome === 'skipped') result.skipped++;
      } catch (error) {
        await recordFailure(db, id, error);
        result.failed++;
      }
    }
    if (rows.length < batchSize) break;
  }
  return result;
}

export interface DispatchResult {
  dispatched: number;
  refused: number;
}

/**
 * The dispatcher (every minute in AWS): takes due pending rows FOR UPDATE SKIP LOCKED, a
 * batch of up to 10 at a time, sends one queue message per row and marks the accepted ones
 * 'dispatched' in the same transaction. Concurrent dispatchers skip each other's rows, so a
 * row is queued once; if the transaction fails after the queue accepted the batch, the rows
 * stay pending and are queued again, which the queue's deduplication by outbox id and the
 * consumer's idempotent send absorb. Rows the queue refuses wait 30 s and are tried again.
 */
export async function dispatchOutbox(
  db: Kysely<Database>,
  queue: NotificationQueue,
  options: { batchSize?: number; maxBatches?: number } = {},
): Promise<DispatchResult> {
  const batchSize = Math.min(options.batchSize ?? 10, 10);
  const maxBatches = options.maxBatches ?? 50;
  const totals: DispatchResult = { dispatched: 0, refused: 0 };
  for (let batch = 0; batch < maxBatches; batch++) {
    const batchResult = await db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('notifications')
        .select('id')
        .where('status', '=', 'pending')
        .where('available_at', '<=', sql<Date>`now()`)
        .orderBy('available_at')
        .limit(batchSize)
        .forUpdate()
        .skipLocked()
        .execute();
      if (rows.length === 0) return { claimed: 0, accepted: 0, refused: 0 };
      const ids = rows.map((row) => row.id);
      const refused = new Set((await queue.sendBatch(ids)).failedIds);
      const accepted = ids.filter((id) => !refused.has(id));
      if (accepted.length > 0) {
        await trx.updateTable('notifications').set({ status: 'dispatched', dispatched_at: sql<Date>`now()` }).where('id', 'in', accepted).execute();
      }
      if (refused.size > 0) {
        await trx
          .updateTable('notifications')
          .set({ available_at: sql<Date>`now() + make_interval(secs => ${sql.lit(RETRY_BASE_SECONDS)})`, last_error: 'refused by the queue' })
          .where('id', 'in', [...refused])
          .execute();
      }
      return { claimed: ids.length, accepted: accepted.length, refused: refused.size };
    });
    totals.dispatched += batchResult.accepted;
    totals.refused += batchResult.refused;
    if (batchResult.claimed < batchSize) break;
  }
  return totals;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The queue message of an outbox row: its id only; the row holds everything else. */
export function queueMessageBody(notificationId: string): string {
  return JSON.stringify({ notification_id: notificationId });
}

export function parseQueueMessage(body: string): string {
  let id: unknown;
  try {
    id = (JSON.parse(body) as { notification_id?: unknown } | null)?.notification_id;
  } catch {
    id = undefined;
  }
  if (typeof id !== 'string' || !UUID.test(id)) throw new Error('The message is not a notification message');
  return id;
}

export interface QueueRecord {
  messageId: string;
  body: string;
}

export interface ConsumeResult {
  /** Message ids to report as batch item failures: only these are redelivered. */
  failedMessageIds: string[];
  outcomes: Record<DeliveryOutcome, number>;
  errors: Array<{ messageId: string; notificationId?: string; error: unknown }>;
}

/**
 * The queue consumer: delivers each message's row (a redelivered message whose row was sent
 * is skipped), records failures on the row (attempts, backoff) and reports exactly the failed
 * messages, so the queue retries those alone; `retryLater` may push a failed message's next
 * delivery back by the backoff (SQS: its visibility timeout).
 */
export async function consumeNotificationMessages<R extends QueueRecord>(
  db: Kysely<Database>,
  sender: NotificationSender,
  records: readonly R[],
  options: { retryLater?: (record: R, delaySeconds: number) => Promise<void> } = {},
): Promise<ConsumeResult> {
  const result: ConsumeResult = {
    failedMessageIds: [],
    outcomes: { sent: 0, skipped: 0, 'already-delivered': 0, missing: 0 },
    errors: [],
  };
  for (const record of records) {
    let notificationId: string | undefined;
    try {
      notificationId = parseQueueMessage(record.body);
      result.outcomes[await deliverNotification(db, sender, notificationId)]++;
    } catch (error) {
      result.failedMessageIds.push(record.messageId);
      result.errors.push({ messageId: record.messageId, ...(notificationId ? { notificationId } : {}), error });
      if (!notificationId) continue;
      const failure = await recordFailure(db, notificationId, error).catch(() => undefined);
      if (failure && options.retryLater) {
        await options.retryLater(record, retryDelaySeconds(failure.attempts)).catch(() => undefined);
      }
    }
  }
  return result;
}
