import { randomUUID } from 'node:crypto';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from '#core/database';
import {
  consumeNotificationMessages,
  deliverNotification,
  dispatchOutbox,
  drainOutbox,
  queueMessageBody,
  type NotificationQueue,
  type NotificationSender,
  type OutgoingEmail,
  type OutgoingSms,
} from '#core/notifications/delivery';
import { enqueueBookingNotifications, enqueueNotification, SMS_PER_NUMBER_PER_DAY } from '#core/notifications/outbox';
import { getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';
import { handler as sendNotifications } from '../../functions/jobs/send-notifications';
import { connect, ownerUrl } from '../helpers/db';
import { sentMailTo } from '../helpers/mail';
import { insertAgency, insertBookingRow, insertCar, insertUser } from '../helpers/rentals';

const db = getDb();

let agency: Awaited<ReturnType<typeof insertAgency>>;
let car: string;
let nextDay = 0;

beforeAll(async () => {
  agency = await insertAgency({ name: 'Karon Car Rent', phone: '076 123 456' });
  car = await insertCar(agency.id, { make: 'Toyota', model: 'Yaris Ativ', daily_rate: 90_000 });
});

/** A fresh customer (unique email, so the shared SES emulator's store tells their mail apart) with a booking. */
async function bookingOfNewCustomer(status: 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'completed' = 'confirmed') {
  const customer = await insertUser('customer', { fullName: 'Anna Müller' });
  const start = new Date(Date.UTC(2030, 0, 1 + 3 * nextDay++)).toISOString().slice(0, 10);
  const end = new Date(Date.parse(start) + 2 * 86_400_000).toISOString().slice(0, 10);
  const bookingId = await insertBookingRow({ carId: car, customerId: customer.id, status, start, end, dailyRate: 90_000, fees: 5_000, tax: 1_050 });
  return { customer, bookingId, start, end };
}

const rowsOf = (bookingId: string) =>
  db.selectFrom('notifications').selectAll().where('reservation_id', '=', bookingId).orderBy('kind').orderBy('recipient').execute();

const rowById = (id: string) => db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

async function queueConfirmation(): Promise<{ id: string; customerEmail: string }> {
  const { customer, bookingId } = await bookingOfNewCustomer();
  await enqueueBookingNotifications(db, bookingId, 'confirmed');
  const [row] = await rowsOf(bookingId);
  return { id: row!.id, customerEmail: customer.email };
}

/** A sender that records what it is asked to send, optionally failing or taking its time. */
function fakeSender(options: { failFor?: (to: string) => boolean; delayMs?: number; sms?: boolean } = {}) {
  const emails: OutgoingEmail[] = [];
  const sms: OutgoingSms[] = [];
  const send = async <T extends { to: string }>(into: T[], message: T) => {
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    if (options.failFor?.(message.to)) throw new Error(`mailbox ${message.to} unavailable`);
    into.push(message);
  };
  const sender: NotificationSender = {
    sendEmail: (email) => send(emails, email),
    ...(options.sms ? { sendSms: (message: OutgoingSms) => send(sms, message) } : {}),
  };
  return { sender, emails, sms };
}

/**
 * The real sender (the SES emulator) behind a provider that throws on its first `failures`
 * calls, as a throttled SES would; counts every call it is given.
 */
function flakySender(failures: number) {
  const ses = notificationSender();
  let calls = 0;
  const sender: NotificationSender = {
    async sendEmail(email) {
      calls++;
      if (calls <= failures) throw new Error(`SES throttled (call ${calls})`);
      await ses.sendEmail(email);
    },
  };
  return { sender, calls: () => calls };
}

/** Only this test's rows: the outbox tests below start from an empty table. */
const emptyOutbox = () => db.deleteFrom('notifications').execute();

/** The test agency's phone as verified (or not) by the agency. */
const phoneVerified = (verified: boolean) =>
  db
    .updateTable('agencies')
    .set({ phone_verified_at: verified ? new Date() : null })
    .where('id', '=', agency.id)
    .execute();

describe('enqueueBookingNotifications', () => {
  it('created: booking_received to the customer, agency_new_booking to the agency admin by email, and no SMS even to a verified phone', async () => {
    await phoneVerified(true);
    const { customer, bookingId, start, end } = await bookingOfNewCustomer('pending');
    await db.transaction().execute((trx) => enqueueBookingNotifications(trx, bookingId, 'created'));
    const rows = await rowsOf(bookingId);
    const facts = {
      booking_id: bookingId,
      car: 'Toyota Yaris Ativ',
      start_date: start,
      end_date: end,
      days: 3,
      total_price: 3 * 90_000 + 5_000 + 1_050,
      deposit_amount: 300_000,
      currency: 'thb',
      pickup_address: 'Kata Rd 12, Karon', // the car has no pickup address of its own: the agency's
      agency_name: 'Karon Car Rent',
      agency_phone: '076 123 456',
      customer_name: 'Anna Müller',
    };
    const byKey = (a: { dedupe_key: string | null }, b: { dedupe_key: string | null }) => (a.dedupe_key! < b.dedupe_key! ? -1 : 1);
    expect(
      rows.map((row) => ({ kind: row.kind, channel: row.channel, recipient: row.recipient, dedupe_key: row.dedupe_key, status: row.status })).sort(byKey),
    ).toEqual(
      [
        { kind: 'agency_new_booking', channel: 'email', recipient: agency.adminEmail, dedupe_key: `agency_new_booking:agency:${bookingId}`, status: 'pending' },
        { kind: 'booking_received', channel: 'email', recipient: customer.email, dedupe_key: `booking_received:customer:${bookingId}`, status: 'pending' },
      ].sort(byKey),
    );
    expect(rows.find((row) => row.kind === 'booking_received')!.payload).toEqual({ ...facts, audience: 'customer' });
    expect(rows.find((row) => row.channel === 'email' && row.kind === 'agency_new_booking')!.payload).toEqual({ ...facts, audience: 'agency' });
  });

  it('paid: booking_confirmed to the customer, and agency_new_booking by SMS to the agency phone only once the agency verified it', async () => {
    await phoneVerified(false);
    const unverified = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, unverified.bookingId, 'paid');
    expect((await rowsOf(unverified.bookingId)).map((row) => [row.kind, row.channel, row.recipient])).toEqual([
      ['booking_confirmed', 'email', unverified.customer.email],
    ]);

    await phoneVerified(true);
    const verified = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, verified.bookingId, 'paid');
    const rows = await rowsOf(verified.bookingId);
    expect(rows.map((row) => [row.kind, row.channel, row.recipient, row.dedupe_key])).toEqual([
      ['agency_new_booking', 'sms', '+6676123456', `agency_new_booking:agency-sms:${verified.bookingId}`],
      ['booking_confirmed', 'email', verified.customer.email, `booking_confirmed:customer:${verified.bookingId}`],
    ]);
    expect(rows[0]!.payload).toMatchObject({ audience: 'agency', booking_id: verified.bookingId, agency_phone: '076 123 456' });
  });

  it('confirmed and expired tell the customer only; cancelled tells the customer and the agency', async () => {
    const expectations = [
      ['confirmed', [['booking_confirmed', 'customer']]],
      ['expired', [['booking_expired', 'customer']]],
      [
        'cancelled',
        [
          ['booking_cancelled', 'customer'],
          ['booking_cancelled', 'agency'],
        ],
      ],
    ] as const;
    for (const [event, expected] of expectations) {
      const { customer, bookingId } = await bookingOfNewCustomer();
      await enqueueBookingNotifications(db, bookingId, event);
      const rows = await rowsOf(bookingId);
      const recipients = { customer: customer.email, agency: agency.adminEmail };
      expect(rows.map((row) => [row.kind, row.recipient]).sort(), event).toEqual(expected.map(([kind, audience]) => [kind, recipients[audience]]).sort());
      for (const row of rows) expect(row.channel).toBe('email');
    }
  });

  it('queues each message once, however often the same event is reported', async () => {
    await phoneVerified(true);
    const { bookingId } = await bookingOfNewCustomer('pending');
    for (let time = 0; time < 3; time++) {
      await enqueueBookingNotifications(db, bookingId, 'created');
      await enqueueBookingNotifications(db, bookingId, 'paid');
      await enqueueBookingNotifications(db, bookingId, 'cancelled');
    }
    // created 2 + paid 2 (email and SMS) + cancelled 2
    expect(await rowsOf(bookingId)).toHaveLength(6);
  });

  it("commits with the caller's transaction: a rolled-back status change leaves no notification", async () => {
    const { bookingId } = await bookingOfNewCustomer('pending');
    await expect(
      db.transaction().execute(async (trx) => {
        await trx.updateTable('reservations').set({ status: 'confirmed', expires_at: null }).where('id', '=', bookingId).execute();
        await enqueueBookingNotifications(trx, bookingId, 'confirmed');
        throw new Error('payment provider down');
      }),
    ).rejects.toThrow('payment provider down');
    expect(await rowsOf(bookingId)).toEqual([]);
  });

  it('refuses an id that is no booking', async () => {
    await expect(enqueueBookingNotifications(db, randomUUID(), 'created')).rejects.toThrow(/no booking/);
  });
});

describe('drainOutbox (local delivery)', () => {
  beforeEach(emptyOutbox);

  it('sends through the SES emulator: the email is in its store with the recipient and subject, and the row is sent', async () => {
    const { id, customerEmail } = await queueConfirmation();
    const result = await drainOutbox(db, notificationSender());
    expect(result).toEqual({ sent: 1, skipped: 0, failed: 0 });
    const mail = await sentMailTo(customerEmail);
    expect(mail).toHaveLength(1);
    expect(mail[0]).toMatchObject({
      from: process.env.EMAIL_FROM,
      subject: expect.stringMatching(/^Booking confirmed: Toyota Yaris Ativ, \w{3} \d{1,2} \w{3} 2030$/),
      body: { text: expect.stringContaining('THB 2,760.50'), html: expect.stringContaining('<table') },
    });
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 1, sent_at: expect.any(Date), last_error: null });
  });

  it('sends nothing new on a second drain', async () => {
    const { id, customerEmail } = await queueConfirmation();
    await drainOutbox(db, notificationSender());
    expect(await drainOutbox(db, notificationSender())).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(await sentMailTo(customerEmail)).toHaveLength(1);
    expect((await rowById(id)).attempts).toBe(1);
  });

  it('leaves a failed send pending with attempts + 1 and a later available_at, and retries it only when due', async () => {
    const { id } = await queueConfirmation();
    const failing = fakeSender({ failFor: () => true });
    const before = Date.now();
    expect(await drainOutbox(db, failing.sender)).toEqual({ sent: 0, skipped: 0, failed: 1 });
    const failed = await rowById(id);
    expect(failed).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('unavailable') });
    expect(failed.available_at.getTime()).toBeGreaterThanOrEqual(before + 29_000); // the first backoff is 30 s

    const working = fakeSender();
    expect(await drainOutbox(db, working.sender)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(working.emails).toEqual([]);

    await db
      .updateTable('notifications')
      .set({ available_at: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', id)
      .execute();
    expect(await drainOutbox(db, working.sender)).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('sends once when the send fails twice and then succeeds: attempts = 3, one email in the SES emulator, and no further sends', async () => {
    const { id, customerEmail } = await queueConfirmation();
    const flaky = flakySender(2);
    const makeDue = () =>
      db
        .updateTable('notifications')
        .set({ available_at: sql<Date>`now() - interval '1 second'` })
        .where('id', '=', id)
        .execute();

    expect(await drainOutbox(db, flaky.sender)).toEqual({ sent: 0, skipped: 0, failed: 1 });
    expect(await rowById(id)).toMatchObject({ status: 'pending', attempts: 1, last_error: expect.stringContaining('throttled (call 1)') });
    await makeDue();
    expect(await drainOutbox(db, flaky.sender)).toEqual({ sent: 0, skipped: 0, failed: 1 });
    expect(await rowById(id)).toMatchObject({ status: 'pending', attempts: 2, last_error: expect.stringContaining('throttled (call 2)') });
    await makeDue();
    expect(await drainOutbox(db, flaky.sender)).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 3, last_error: null, sent_at: expect.any(Date) });

    // Even made due again, a sent row is never sent again.
    await makeDue();
    expect(await drainOutbox(db, flaky.sender)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(flaky.calls()).toBe(3);
    expect(await sentMailTo(customerEmail)).toHaveLength(1);
  });

  it('backs off twice as long each time and gives up after 5 attempts: the row is failed and no longer claimed', async () => {
    const { id } = await queueConfirmation();
    const failing = fakeSender({ failFor: () => true });
    const backoffSeconds = [30, 60, 120, 240];
    for (let attempt = 1; attempt <= 5; attempt++) {
      await db
        .updateTable('notifications')
        .set({ available_at: sql<Date>`now() - interval '1 second'` })
        .where('id', '=', id)
        .execute();
      const before = Date.now();
      await drainOutbox(db, failing.sender);
      const after = Date.now();
      const row = await rowById(id);
      expect(row.attempts).toBe(attempt);
      // The retry is due exactly the backoff after the failed attempt, which happened during this drain
      // (however long a busy machine made it); 1 ms either side for the database's finer clock.
      const backoff = backoffSeconds[attempt - 1];
      if (backoff !== undefined) {
        expect(row.available_at.getTime(), `attempt ${attempt}`).toBeGreaterThanOrEqual(before + backoff * 1000 - 1);
        expect(row.available_at.getTime(), `attempt ${attempt}`).toBeLessThanOrEqual(after + backoff * 1000 + 1);
      }
    }
    expect((await rowById(id)).status).toBe('failed');
    await db
      .updateTable('notifications')
      .set({ available_at: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', id)
      .execute();
    const later = fakeSender();
    await drainOutbox(db, later.sender);
    expect(later.emails).toEqual([]);
  });

  it('marks a row that cannot be rendered failed at once', async () => {
    const customer = await insertUser('customer');
    await enqueueNotification(db, { kind: 'booking_confirmed', recipient: customer.email, payload: { booking_id: 'not-a-booking' } });
    const working = fakeSender();
    expect(await drainOutbox(db, working.sender)).toEqual({ sent: 0, skipped: 0, failed: 1 });
    const [row] = await db.selectFrom('notifications').selectAll().where('recipient', '=', customer.email).execute();
    expect(row).toMatchObject({ status: 'failed', attempts: 1, last_error: expect.stringContaining('payload is not valid') });
    expect(working.emails).toEqual([]);
  });

  it('skips SMS while SMS is off, and sends it through the SMS port when it is on', async () => {
    await phoneVerified(true);
    const off = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, off.bookingId, 'paid');
    expect(await drainOutbox(db, fakeSender().sender)).toEqual({ sent: 1, skipped: 1, failed: 0 });
    const sms = (await rowsOf(off.bookingId)).find((row) => row.channel === 'sms')!;
    expect(sms).toMatchObject({ status: 'skipped', sent_at: null });

    const on = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, on.bookingId, 'paid');
    const withSms = fakeSender({ sms: true });
    expect(await drainOutbox(db, withSms.sender)).toEqual({ sent: 2, skipped: 0, failed: 0 });
    expect(withSms.sms).toEqual([
      expect.objectContaining({ to: '+6676123456', kind: 'agency_new_booking', text: expect.stringMatching(/^Phuket Rental: New booking: Toyota Yaris Ativ/) }),
    ]);
    expect(withSms.sms[0]!.text.length).toBeLessThanOrEqual(160);
  });

  it('delivers each row once when two drains run at the same time on separate connections', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 12; index++) ids.push((await queueConfirmation()).id);
    const connections = [connect(process.env.DATABASE_URL!, 2), connect(process.env.DATABASE_URL!, 2)];
    const slow = fakeSender({ delayMs: 15 });
    try {
      await Promise.all(connections.map((connection) => sql`SELECT 1`.execute(connection)));
      const results = await Promise.all(connections.map((connection) => drainOutbox(connection, slow.sender, { batchSize: 3 })));
      expect(results[0]!.sent + results[1]!.sent).toBe(12);
      expect(results.every((result) => result.sent > 0)).toBe(true); // both really worked
    } finally {
      await Promise.all(connections.map((connection) => connection.destroy()));
    }
    expect(slow.emails.map((email) => email.notificationId).sort()).toEqual([...ids].sort());
  });
});

function sqsRecord(messageId: string, body: string): SQSRecord {
  return {
    messageId,
    receiptHandle: `receipt-${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDAEXAMPLE',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      MessageGroupId: messageId,
      MessageDeduplicationId: messageId,
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:ap-southeast-1:000000000000:notifications.fifo',
    awsRegion: 'ap-southeast-1',
  };
}

const sqsEvent = (...records: SQSRecord[]): SQSEvent => ({ Records: records });

describe('the queue consumer (functions/jobs/send-notifications)', () => {
  beforeEach(emptyOutbox);

  it('reports exactly the one failed record of three in batchItemFailures and sends the other two', async () => {
    const first = await queueConfirmation();
    const broken = await insertUser('customer');
    await enqueueNotification(db, { kind: 'booking_expired', recipient: broken.email, payload: {}, dedupeKey: `broken:${broken.id}` });
    const brokenRow = await db.selectFrom('notifications').select('id').where('recipient', '=', broken.email).executeTakeFirstOrThrow();
    const third = await queueConfirmation();
    await db.updateTable('notifications').set({ status: 'dispatched' }).execute();

    const answer = await sendNotifications(
      sqsEvent(sqsRecord('m-1', queueMessageBody(first.id)), sqsRecord('m-2', queueMessageBody(brokenRow.id)), sqsRecord('m-3', queueMessageBody(third.id))),
    );
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-2' }] });
    expect(await sentMailTo(first.customerEmail)).toHaveLength(1);
    expect(await sentMailTo(third.customerEmail)).toHaveLength(1);
    expect(await sentMailTo(broken.email)).toEqual([]);
    expect((await rowById(first.id)).status).toBe('sent');
    expect(await rowById(brokenRow.id)).toMatchObject({ attempts: 1, status: 'failed' });
  });

  it('does not send a redelivered record twice', async () => {
    const { id, customerEmail } = await queueConfirmation();
    const record = sqsRecord('m-again', queueMessageBody(id));
    expect(await sendNotifications(sqsEvent(record))).toEqual({ batchItemFailures: [] });
    expect(await sendNotifications(sqsEvent(record))).toEqual({ batchItemFailures: [] });
    expect(await sentMailTo(customerEmail)).toHaveLength(1);
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('sends once when the same message is delivered twice at the same time', async () => {
    const { id } = await queueConfirmation();
    const slow = fakeSender({ delayMs: 50 });
    const connections = [connect(process.env.DATABASE_URL!, 1), connect(process.env.DATABASE_URL!, 1)];
    try {
      await Promise.all(connections.map((connection) => sql`SELECT 1`.execute(connection)));
      const results = await Promise.all(
        connections.map((connection, index) =>
          consumeNotificationMessages(connection, slow.sender, [{ messageId: `dup-${index}`, body: queueMessageBody(id) }]),
        ),
      );
      expect(results.flatMap((result) => result.failedMessageIds)).toEqual([]);
      expect(results.map((result) => result.outcomes.sent).sort()).toEqual([0, 1]);
    } finally {
      await Promise.all(connections.map((connection) => connection.destroy()));
    }
    expect(slow.emails.map((email) => email.notificationId)).toEqual([id]);
  });

  it('on a transient failure keeps the row dispatched with attempts + 1 and asks the queue to wait out the backoff', async () => {
    const { id, customerEmail } = await queueConfirmation();
    await db.updateTable('notifications').set({ status: 'dispatched' }).where('id', '=', id).execute();
    const failing = fakeSender({ failFor: (to) => to === customerEmail });
    const delays: Array<[string, number]> = [];
    const result = await consumeNotificationMessages(db, failing.sender, [{ messageId: 'm-t', body: queueMessageBody(id) }], {
      retryLater: async (record, seconds) => {
        delays.push([record.messageId, seconds]);
      },
    });
    expect(result.failedMessageIds).toEqual(['m-t']);
    expect(delays).toEqual([['m-t', 30]]);
    expect(await rowById(id)).toMatchObject({ status: 'dispatched', attempts: 1, last_error: expect.stringContaining('unavailable') });
  });

  it('sends once when the queue delivers a message whose send fails twice and then succeeds: attempts = 3, one email, redeliveries after it do nothing', async () => {
    const { id, customerEmail } = await queueConfirmation();
    await db.updateTable('notifications').set({ status: 'dispatched' }).where('id', '=', id).execute();
    const flaky = flakySender(2);
    const message = { messageId: 'm-flaky', body: queueMessageBody(id) };
    const delays: number[] = [];
    const retryLater = async (_record: unknown, seconds: number) => {
      delays.push(seconds);
    };

    // The queue redelivers a reported failure; the row keeps counting.
    for (const attempt of [1, 2]) {
      const failed = await consumeNotificationMessages(db, flaky.sender, [message], { retryLater });
      expect(failed.failedMessageIds).toEqual(['m-flaky']);
      expect(await rowById(id)).toMatchObject({ status: 'dispatched', attempts: attempt });
    }
    expect(delays).toEqual([30, 60]);
    const succeeded = await consumeNotificationMessages(db, flaky.sender, [message], { retryLater });
    expect(succeeded).toMatchObject({ failedMessageIds: [], outcomes: { sent: 1 } });
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 3, last_error: null });

    // A late duplicate of the message (at-least-once delivery) sends nothing.
    const duplicate = await consumeNotificationMessages(db, flaky.sender, [message], { retryLater });
    expect(duplicate).toMatchObject({ failedMessageIds: [], outcomes: { sent: 0, 'already-delivered': 1 } });
    expect(flaky.calls()).toBe(3);
    expect(await sentMailTo(customerEmail)).toHaveLength(1);
  });

  it('acknowledges a message for an unknown notification, and fails one that is no notification message', async () => {
    const answer = await sendNotifications(sqsEvent(sqsRecord('m-gone', queueMessageBody(randomUUID())), sqsRecord('m-junk', '{"hello":"world"}')));
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-junk' }] });
  });
});

/** A queue that records what it is given; optionally slow, refusing some ids, or down. */
function fakeQueue(options: { delayMs?: number; refuse?: (id: string) => boolean; down?: boolean } = {}) {
  const batches: string[][] = [];
  const queue: NotificationQueue = {
    async sendBatch(ids) {
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      if (options.down) throw new Error('queue unavailable');
      batches.push([...ids]);
      return { failedIds: ids.filter((id) => options.refuse?.(id)) };
    },
  };
  return { queue, batches };
}

async function pendingRows(count: number, db: Kysely<Database> = getDb()): Promise<string[]> {
  const customer = await insertUser('customer');
  for (let index = 0; index < count; index++) {
    await enqueueNotification(db, { kind: 'review_received', recipient: customer.email, payload: { n: index } });
  }
  const rows = await db.selectFrom('notifications').select('id').where('recipient', '=', customer.email).execute();
  return rows.map((row) => row.id);
}

describe('dispatchOutbox (the dispatcher)', () => {
  beforeEach(emptyOutbox);

  it('queues each due row once, in batches of at most 10, even with two dispatchers running at the same time', async () => {
    const ids = await pendingRows(35);
    const slow = fakeQueue({ delayMs: 20 });
    const connections = [connect(process.env.DATABASE_URL!, 1), connect(process.env.DATABASE_URL!, 1)];
    try {
      await Promise.all(connections.map((connection) => sql`SELECT 1`.execute(connection)));
      const results = await Promise.all(connections.map((connection) => dispatchOutbox(connection, slow.queue)));
      expect(results[0]!.dispatched + results[1]!.dispatched).toBe(35);
      expect(results.every((result) => result.dispatched > 0)).toBe(true); // both really took part
    } finally {
      await Promise.all(connections.map((connection) => connection.destroy()));
    }
    const queued = slow.batches.flat();
    expect(queued.sort()).toEqual([...ids].sort());
    expect(slow.batches.every((batch) => batch.length <= 10)).toBe(true);
    const rows = await db.selectFrom('notifications').select(['status', 'dispatched_at']).execute();
    expect(rows.every((row) => row.status === 'dispatched' && row.dispatched_at !== null)).toBe(true);
  });

  it('leaves rows not yet due alone, and keeps rows the queue refused pending for a retry in 30 s', async () => {
    const [refused, accepted] = await pendingRows(2);
    const customer = await insertUser('customer');
    await enqueueNotification(db, { kind: 'pickup_reminder', recipient: customer.email, payload: {}, availableAt: new Date(Date.now() + 3_600_000) });
    const queue = fakeQueue({ refuse: (id) => id === refused });
    expect(await dispatchOutbox(db, queue.queue)).toEqual({ dispatched: 1, refused: 1 });
    expect(queue.batches.flat().sort()).toEqual([refused, accepted].sort());
    expect((await rowById(accepted!)).status).toBe('dispatched');
    const retry = await rowById(refused!);
    expect(retry).toMatchObject({ status: 'pending', attempts: 0, last_error: 'refused by the queue' });
    expect(retry.available_at.getTime()).toBeGreaterThan(Date.now() + 20_000);
    const future = await db.selectFrom('notifications').select('status').where('recipient', '=', customer.email).executeTakeFirstOrThrow();
    expect(future.status).toBe('pending');
  });

  it('keeps the batch pending when the queue is down', async () => {
    const ids = await pendingRows(3);
    await expect(dispatchOutbox(db, fakeQueue({ down: true }).queue)).rejects.toThrow('queue unavailable');
    for (const id of ids) expect((await rowById(id)).status).toBe('pending');
  });
});

describe('no transaction is held across a send', () => {
  beforeEach(emptyOutbox);

  // A session of its own that looks at PostgreSQL while a provider is being called: a session
  // of this file's database `idle in transaction` then is a transaction (and a row lock) held
  // across the network call. The flows run one after another, so nothing else is counted.
  const monitor = connect<unknown>(ownerUrl(), 1);
  afterAll(() => monitor.destroy());
  const openTransactions = async () => {
    const { rows } = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'`.execute(monitor);
    return rows[0]!.n;
  };

  function watchingSender() {
    const seen: number[] = [];
    const sender: NotificationSender = {
      async sendEmail() {
        seen.push(await openTransactions());
      },
      async sendSms() {
        seen.push(await openTransactions());
      },
    };
    return { sender, seen };
  }

  it('the local drain and the queue consumer send with no transaction open', async () => {
    await phoneVerified(true);
    const { bookingId } = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, bookingId, 'paid'); // an email to the customer, an SMS to the agency
    const drained = watchingSender();
    expect(await drainOutbox(db, drained.sender)).toEqual({ sent: 2, skipped: 0, failed: 0 });
    expect(drained.seen).toEqual([0, 0]);

    const { id } = await queueConfirmation();
    await db.updateTable('notifications').set({ status: 'dispatched' }).where('id', '=', id).execute();
    const consumed = watchingSender();
    const result = await consumeNotificationMessages(db, consumed.sender, [{ messageId: 'm-watched', body: queueMessageBody(id) }]);
    expect(result).toMatchObject({ failedMessageIds: [], outcomes: { sent: 1 } });
    expect(consumed.seen).toEqual([0]);
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 1, leased_until: null });
  });

  it('the dispatcher calls the queue with no transaction open', async () => {
    const ids = await pendingRows(12);
    const seen: number[] = [];
    const queue: NotificationQueue = {
      async sendBatch() {
        seen.push(await openTransactions());
        return { failedIds: [] };
      },
    };
    expect(await dispatchOutbox(db, queue)).toEqual({ dispatched: 12, refused: 0 });
    expect(seen).toEqual([0, 0]);
    for (const id of ids) expect((await rowById(id)).status).toBe('dispatched');
  });

  it('a worker that dies mid-send holds nothing: the row is in flight until its lease lapses, then another worker sends it', async () => {
    const { id } = await queueConfirmation();
    await db.updateTable('notifications').set({ status: 'dispatched' }).where('id', '=', id).execute();
    // The first worker claims the row and never comes back from the provider.
    let called!: () => void;
    const calledNow = new Promise<void>((resolve) => (called = resolve));
    const hanging: NotificationSender = {
      sendEmail: () => {
        called();
        return new Promise<void>(() => {});
      },
    };
    void deliverNotification(db, hanging, id);
    await calledNow;
    expect(await openTransactions()).toBe(0);
    const held = await rowById(id);
    expect(held).toMatchObject({ status: 'dispatched', attempts: 1 });
    expect(held.leased_until!.getTime()).toBeGreaterThan(Date.now());

    // A duplicate message meanwhile sends nothing and is acknowledged: the holder's own message stays queued.
    const second = fakeSender();
    const duplicate = await consumeNotificationMessages(db, second.sender, [{ messageId: 'm-dup', body: queueMessageBody(id) }]);
    expect(duplicate).toMatchObject({ failedMessageIds: [], outcomes: { sent: 0, 'in-flight': 1 } });
    expect(second.emails).toEqual([]);

    // The lease lapses (the holder is dead); its message comes back and another worker sends the row.
    await db
      .updateTable('notifications')
      .set({ leased_until: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', id)
      .execute();
    const redelivered = await consumeNotificationMessages(db, second.sender, [{ messageId: 'm-1', body: queueMessageBody(id) }]);
    expect(redelivered).toMatchObject({ failedMessageIds: [], outcomes: { sent: 1 } });
    expect(second.emails.map((email) => email.notificationId)).toEqual([id]);
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 2, leased_until: null });
  });

  it('the local drain leaves a row another worker is sending alone, and takes it once the lease lapses', async () => {
    const { id } = await queueConfirmation();
    await db
      .updateTable('notifications')
      .set({ leased_until: sql<Date>`now() + interval '1 minute'` })
      .where('id', '=', id)
      .execute();
    const working = fakeSender();
    expect(await drainOutbox(db, working.sender)).toEqual({ sent: 0, skipped: 0, failed: 0 });
    expect(working.emails).toEqual([]);
    await db
      .updateTable('notifications')
      .set({ leased_until: sql<Date>`now() - interval '1 second'`, available_at: sql<Date>`now() - interval '1 second'` })
      .where('id', '=', id)
      .execute();
    expect(await drainOutbox(db, working.sender)).toEqual({ sent: 1, skipped: 0, failed: 0 });
    expect(await rowById(id)).toMatchObject({ status: 'sent', attempts: 1, leased_until: null });
  });
});

describe('the daily SMS cap of a number', () => {
  const agencyNumber = '+6676123456'; // the test agency's '076 123 456'
  const smsToday = async () =>
    Number(
      (
        await sql<{ n: string }>`
          SELECT count(*) AS n FROM notifications
          WHERE channel = 'sms' AND recipient = ${agencyNumber}
            AND created_at >= date_trunc('day', now() AT TIME ZONE 'Asia/Bangkok') AT TIME ZONE 'Asia/Bangkok'`.execute(db)
      ).rows[0]!.n,
    );
  /** SMS already queued to the number today (as if by earlier paid bookings). */
  const queueSms = async (count: number) => {
    for (let index = 0; index < count; index++) {
      await enqueueNotification(db, {
        kind: 'agency_new_booking',
        channel: 'sms',
        recipient: agencyNumber,
        payload: {},
        dedupeKey: `cap-test:${randomUUID()}`,
      });
    }
  };

  beforeEach(async () => {
    await emptyOutbox();
    await phoneVerified(true);
  });

  it(`queues at most ${SMS_PER_NUMBER_PER_DAY} SMS to a number in a Bangkok day, yesterday's not counted; the customer's email goes regardless`, async () => {
    await queueSms(5);
    await sql`UPDATE notifications SET created_at = created_at - interval '1 day' WHERE recipient = ${agencyNumber}`.execute(db);
    await queueSms(SMS_PER_NUMBER_PER_DAY - 1);

    const last = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, last.bookingId, 'paid');
    expect((await rowsOf(last.bookingId)).map((row) => row.channel).sort()).toEqual(['email', 'sms']);
    expect(await smsToday()).toBe(SMS_PER_NUMBER_PER_DAY);

    const over = await bookingOfNewCustomer('confirmed');
    await enqueueBookingNotifications(db, over.bookingId, 'paid');
    expect((await rowsOf(over.bookingId)).map((row) => [row.kind, row.channel])).toEqual([['booking_confirmed', 'email']]);
    expect(await smsToday()).toBe(SMS_PER_NUMBER_PER_DAY);
  });

  it('lets only one of two transactions take the last place, the second waiting for the first to commit', async () => {
    await queueSms(SMS_PER_NUMBER_PER_DAY - 1);
    const [first, second] = [await bookingOfNewCustomer('confirmed'), await bookingOfNewCustomer('confirmed')];
    const connections = [connect(process.env.DATABASE_URL!, 1), connect(process.env.DATABASE_URL!, 1)];
    const observer = connect(process.env.DATABASE_URL!, 1);
    try {
      let commitFirst!: () => void;
      const firstMayCommit = new Promise<void>((resolve) => (commitFirst = resolve));
      let firstQueued!: () => void;
      const firstHasQueued = new Promise<void>((resolve) => (firstQueued = resolve));
      const firstDone = connections[0]!.transaction().execute(async (trx) => {
        await enqueueBookingNotifications(trx, first.bookingId, 'paid');
        firstQueued();
        await firstMayCommit;
      });
      await firstHasQueued;
      // The second counts while the first, holding the last place, has not committed yet.
      const secondDone = connections[1]!.transaction().execute((trx) => enqueueBookingNotifications(trx, second.bookingId, 'paid'));
      for (let poll = 0; poll < 100; poll++) {
        const { rows } = await sql<{ n: string }>`SELECT count(*) AS n FROM pg_locks WHERE NOT granted`.execute(observer);
        if (Number(rows[0]!.n) > 0) break;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      commitFirst();
      await Promise.all([firstDone, secondDone]);
    } finally {
      await Promise.all([...connections, observer].map((connection) => connection.destroy()));
    }
    expect(await smsToday()).toBe(SMS_PER_NUMBER_PER_DAY);
    expect((await rowsOf(first.bookingId)).map((row) => row.channel).sort()).toEqual(['email', 'sms']);
    expect((await rowsOf(second.bookingId)).map((row) => row.channel)).toEqual(['email']);
  });
});
