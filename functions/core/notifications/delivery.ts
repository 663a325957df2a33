import { sql, type Kysely } from 'kysely';
import type { Database } from '../database';
import { CONSUMER_TIMEOUT_SECONDS, MAX_DELIVERY_ATTEMPTS, RETRY_BASE_SECONDS, RETRY_MAX_SECONDS, retryDelaySeconds } from './policy';
import type { NotificationStatus } from './table';
import { renderNotification, SECRET_PAYLOAD_MEMBERS, UnrenderableNotification } from './templates';

/**
 * Delivery of the outbox (docs/notifications.md):
 * - in AWS, `dispatchOutbox` moves pending rows to the queue every minute and the queue's
 *   consumer calls `consumeNotificationMessages`;
 * - locally (no queue), `drainOutbox` claims pending rows and delivers them in process.
 * Both end in `deliverNotification`, the one idempotent send: claim the row with a lease,
 * commit, send with no transaction open, mark it sent. A row is sent once however often its
 * message arrives, barring a crash (or a send outlasting the lease) between the provider's
 * acceptance and the mark: then it is sent again, at least once.
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

/**
 * 'in-flight': another worker holds the row's send lease. Nothing is sent; the holder either
 * marks the row sent or records its failure, and if it dies its own message comes back (or,
 * locally, the drain takes the row again) once the lease has lapsed.
 */
export type DeliveryOutcome = 'sent' | 'skipped' | 'already-delivered' | 'missing' | 'in-flight';

/**
 * How long a claimed row is left to its sender. Longer than the consumer's timeout, so a live
 * send is never doubled by a second worker; shorter than the queue's visibility timeout
 * (6 × the consumer's timeout), so a redelivered message finds the lease of a dead worker lapsed.
 */
export const SEND_LEASE_SECONDS = 2 * CONSUMER_TIMEOUT_SECONDS;

/** How long the dispatcher's claimed rows wait for it (longer than its 50 s timeout). */
export const DISPATCH_LEASE_SECONDS = 120;

/**
 * Sends one notification unless it was sent already, holding no transaction (and no
 * connection) while the provider is called:
 * 1. claim: one autocommitted UPDATE takes the row if it is neither sent nor skipped and no
 *    other worker's lease runs, sets the lease and counts the attempt;
 * 2. render and send, with no transaction open;
 * 3. mark it sent (dropping any one-time code from the payload), releasing the lease.
 * A second delivery of the same id meanwhile finds the lease ('in-flight') or the row sent
 * ('already-delivered') and sends nothing. If the render or the send throws, the row stays
 * claimed and the caller records the failure, which releases it. A crash between the
 * provider's acceptance and step 3 sends the message again once the lease lapses.
 */
export async function deliverNotification(db: Kysely<Database>, sender: NotificationSender, notificationId: string): Promise<DeliveryOutcome> {
  const row = await db
    .updateTable('notifications')
    .set({ leased_until: sql<Date>`now() + make_interval(secs => ${sql.lit(SEND_LEASE_SECONDS)})`, attempts: sql<number>`attempts + 1` })
    .where('id', '=', notificationId)
    .where('status', 'not in', ['sent', 'skipped'])
    .where((eb) => eb.or([eb('leased_until', 'is', null), eb('leased_until', '<=', sql<Date>`now()`)]))
    .returning(['id', 'kind', 'channel', 'recipient', 'payload'])
    .executeTakeFirst();
  if (!row) {
    const current = await db.selectFrom('notifications').select('status').where('id', '=', notificationId).executeTakeFirst();
    if (!current) return 'missing';
    return current.status === 'sent' || current.status === 'skipped' ? 'already-delivered' : 'in-flight';
  }
  const message = renderNotification(row.kind, row.payload);
  if (row.channel === 'sms') {
    if (!sender.sendSms) {
      await db.updateTable('notifications').set({ status: 'skipped', sent_at: null, leased_until: null }).where('id', '=', row.id).execute();
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
  await markSent(db, row.id, row.payload);
  return 'sent';
}

/**
 * Sent: the lease ends, and a sent message's one-time code leaves the outbox with it (the
 * database then keeps only its hash; a skipped SMS keeps it: locally, with SMS off, the row
 * is where it is read).
 */
async function markSent(db: Kysely<Database>, notificationId: string, payload: unknown): Promise<void> {
  const secrets = SECRET_PAYLOAD_MEMBERS.filter((member) => Object.hasOwn(payload ?? {}, member));
  await db
    .updateTable('notifications')
    .set({
      status: 'sent',
      sent_at: sql<Date>`now()`,
      last_error: null,
      leased_until: null,
      ...(secrets.length > 0 ? { payload: sql<string>`payload - ${sql.val(secrets)}::text[]` } : {}),
    })
    .where('id', '=', notificationId)
    .where('status', 'not in', ['sent', 'skipped'])
    .execute();
}

export interface RecordedFailure {
  attempts: number;
  status: NotificationStatus;
  availableAt: Date;
}

/**
 * After a failed send: the error, the lease released, and the next try no sooner than the
 * backoff (30 s, 60 s, 120 s … capped at an hour) after the attempt the claim counted. The row
 * keeps its status ('pending' locally, 'dispatched' while the queue retries) until the last
 * attempt, or at once for a row that can never be rendered, which makes it 'failed'.
 * Undefined if the row is gone or was delivered.
 */
export async function recordFailure(db: Kysely<Database>, notificationId: string, error: unknown): Promise<RecordedFailure | undefined> {
  const permanent = error instanceof UnrenderableNotification;
  const detail = (error instanceof Error ? `${error.name}: ${error.message}` : String(error)).slice(0, 1000);
  const row = await db
    .updateTable('notifications')
    .set({
      last_error: detail,
      leased_until: null,
      available_at: sql<Date>`now() + make_interval(secs => least(${sql.lit(RETRY_BASE_SECONDS)} * power(2, greatest(attempts - 1, 0)), ${sql.lit(RETRY_MAX_SECONDS)}))`,
      status: sql<NotificationStatus>`CASE WHEN ${sql.lit(permanent)} OR attempts >= ${sql.lit(MAX_DELIVERY_ATTEMPTS)} THEN 'failed' ELSE status END`,
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
 * idempotent path the queue consumer uses. Claiming (one autocommitted statement) takes the rows
 * FOR UPDATE SKIP LOCKED and moves their available_at past a lease, so concurrent drains never
 * take the same row, and a drain that dies leaves its rows to be claimed again once the lease
 * ends; each send then runs outside any transaction (deliverNotification).
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
    const rows = await claimDuePending(db, batchSize, leaseSeconds);
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

/**
 * Claims up to `batchSize` due pending rows in one autocommitted statement (FOR UPDATE SKIP
 * LOCKED, so concurrent workers skip each other's rows), moving their available_at past a lease
 * of `leaseSeconds`: whoever claimed them works on them with no transaction open.
 */
async function claimDuePending(db: Kysely<Database>, batchSize: number, leaseSeconds: number): Promise<Array<{ id: string }>> {
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
  return rows;
}

export interface DispatchResult {
  dispatched: number;
  refused: number;
}

/**
 * The dispatcher (every minute in AWS), with no transaction open while the queue is called:
 * claims due pending rows, a batch of up to 10 at a time, FOR UPDATE SKIP LOCKED in one
 * autocommitted statement that moves their available_at past a lease; sends one queue message
 * per row; then marks the accepted ones 'dispatched' (unless a consumer got there first).
 * Concurrent dispatchers skip each other's rows, so a row is queued once. If the dispatcher
 * dies, or the queue is down, the rows stay pending and are queued again when the lease ends,
 * which the queue's deduplication by outbox id and the consumer's idempotent send absorb. Rows
 * the queue refuses wait 30 s and are tried again.
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
    const rows = await claimDuePending(db, batchSize, DISPATCH_LEASE_SECONDS);
    if (rows.length === 0) break;
    const ids = rows.map((row) => row.id);
    const refused = new Set((await queue.sendBatch(ids)).failedIds);
    const accepted = ids.filter((id) => !refused.has(id));
    if (accepted.length > 0) {
      await db
        .updateTable('notifications')
        .set({ status: 'dispatched', dispatched_at: sql<Date>`now()` })
        .where('id', 'in', accepted)
        .where('status', '=', 'pending')
        .execute();
    }
    if (refused.size > 0) {
      await db
        .updateTable('notifications')
        .set({ available_at: sql<Date>`now() + make_interval(secs => ${sql.lit(RETRY_BASE_SECONDS)})`, last_error: 'refused by the queue' })
        .where('id', 'in', [...refused])
        .where('status', '=', 'pending')
        .execute();
    }
    totals.dispatched += accepted.length;
    totals.refused += refused.size;
    if (ids.length < batchSize) break;
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
 * delivery back by the backoff (SQS: its visibility timeout). A duplicate whose row another
 * consumer is sending ('in-flight') is acknowledged: the holder's own message stays on the queue
 * until that send ends, and comes back after the lease if the holder dies.
 */
export async function consumeNotificationMessages<R extends QueueRecord>(
  db: Kysely<Database>,
  sender: NotificationSender,
  records: readonly R[],
  options: { retryLater?: (record: R, delaySeconds: number) => Promise<void> } = {},
): Promise<ConsumeResult> {
  const result: ConsumeResult = {
    failedMessageIds: [],
    outcomes: { sent: 0, skipped: 0, 'already-delivered': 0, missing: 0, 'in-flight': 0 },
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
