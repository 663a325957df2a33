import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drainOutbox } from '#core/notifications/delivery';
import { smsNumber } from '#core/notifications/outbox';
import { formatDate, formatRange } from '#core/notifications/templates';
import type { PaymentProvider } from '#core/payments/provider';
import { handler as expireHolds } from '#functions/jobs/expire-holds';
import { getDb } from '#platform/db';
import { notificationSender } from '#platform/notifications';
import { paymentProvider, setPaymentProviderForTests } from '#platform/payments';
import { useApi } from '../helpers/api';
import { createCustomer } from '../helpers/auth';
import { book, bookingWorld, postStripeEvent, stripeEvent, type BookingWorld } from '../helpers/bookings';
import { stripeStandin } from '../helpers/stripe';
import { bangkokDate } from '../helpers/cars';
import { connect, ownerUrl } from '../helpers/db';
import { sentMailTo } from '../helpers/mail';

/**
 * Every booking flow writes its notifications to the outbox in its own transaction, and they
 * arrive as email: each test drives the real handler (HTTP, webhook or scheduled job), then
 * drains the outbox with the delivery code the local server runs (dev/jobs.ts) into the SES
 * emulator. Every world has its own customer and agency admin, so their mailboxes are theirs.
 */

const api = useApi();
const db = getDb();

const CAR = 'Toyota Yaris Ativ'; // carBody()'s make and model

/** The booking's outbox rows as [kind, channel, recipient], sorted. */
async function outboxOf(bookingId: string): Promise<string[][]> {
  const rows = await db.selectFrom('notifications').select(['kind', 'channel', 'recipient']).where('reservation_id', '=', bookingId).execute();
  return rows.map((row) => [row.kind, row.channel, row.recipient]).sort();
}

/** What the local server does every 3 s: deliver every due outbox row, here through the SES emulator. */
const deliver = () => drainOutbox(db, notificationSender());

/** The subjects of every email the SES emulator holds for this address, sorted. */
const subjectsTo = async (address: string) => (await sentMailTo(address)).map((mail) => mail.subject).sort();

/** A pending booking for days 30–31 made through POST /bookings/. */
async function pendingBooking(world: BookingWorld) {
  const start = bangkokDate(30);
  const end = bangkokDate(31);
  const made = await book(api, world.customer.token, { car_id: world.car.id, start_date: start, end_date: end });
  expect(made.status).toBe(201);
  return { id: made.body.id as string, intent: made.body.payment.intent_id as string, start, end };
}

describe('booking flows write their notifications to the outbox and they arrive as email', () => {
  it("POST /bookings/ queues booking_received for the customer and agency_new_booking for the agency, delivered as the 'received' and 'new booking' emails; an unpaid hold texts nobody", async () => {
    const world = await bookingWorld(api, { phoneVerified: true });
    const booking = await pendingBooking(world);
    expect(await outboxOf(booking.id)).toEqual(
      [
        ['agency_new_booking', 'email', world.agency.email],
        ['booking_received', 'email', world.customer.email],
      ].sort(),
    );
    await deliver();
    expect(await subjectsTo(world.customer.email)).toEqual([`Booking received: ${CAR}, ${formatDate(booking.start)}`]);
    expect(await subjectsTo(world.agency.email)).toEqual([`New booking: ${CAR}, ${formatRange(booking.start, booking.end, 2)}`]);
  });

  it("a signed payment_intent.succeeded webhook confirms the booking, and the customer finds the 'booking confirmed' email in the SES emulator", async () => {
    const world = await bookingWorld(api);
    const booking = await pendingBooking(world);
    const paid = await postStripeEvent(api, stripeEvent('payment_intent.succeeded', booking.intent));
    expect(paid.body).toEqual({ received: true, outcome: 'confirmed' });
    expect(await outboxOf(booking.id)).toContainEqual(['booking_confirmed', 'email', world.customer.email]);

    expect((await deliver()).sent).toBeGreaterThanOrEqual(3);
    const mail = await sentMailTo(world.customer.email);
    expect(mail.map((email) => email.subject).sort()).toEqual([
      `Booking confirmed: ${CAR}, ${formatDate(booking.start)}`,
      `Booking received: ${CAR}, ${formatDate(booking.start)}`,
    ]);
    const confirmed = mail.find((email) => email.subject.startsWith('Booking confirmed'))!;
    expect(confirmed).toMatchObject({ from: process.env.EMAIL_FROM, body: { text: expect.stringContaining(booking.id) } });
    // The agency hears of the booking once, when it was made; not again when it is paid.
    expect(await subjectsTo(world.agency.email)).toEqual([`New booking: ${CAR}, ${formatRange(booking.start, booking.end, 2)}`]);
  });

  it("a failed or cancelled deposit (webhook) cancels the booking and mails 'booking cancelled' to the customer and the agency", async () => {
    for (const type of ['payment_intent.payment_failed', 'payment_intent.canceled']) {
      const world = await bookingWorld(api);
      const booking = await pendingBooking(world);
      expect((await postStripeEvent(api, stripeEvent(type, booking.intent))).body.outcome, type).toBe('cancelled');
      expect(await outboxOf(booking.id), type).toEqual(
        expect.arrayContaining([
          ['booking_cancelled', 'email', world.customer.email],
          ['booking_cancelled', 'email', world.agency.email],
        ]),
      );
      await deliver();
      const cancelled = `Booking cancelled: ${CAR}, ${formatDate(booking.start)}`;
      expect(await subjectsTo(world.customer.email), type).toEqual([cancelled, `Booking received: ${CAR}, ${formatDate(booking.start)}`]);
      expect(await subjectsTo(world.agency.email), type).toContain(cancelled);
    }
  });

  it("the customer cancelling (POST /bookings/{id}/cancel/) mails 'booking cancelled' to the customer and the agency", async () => {
    const world = await bookingWorld(api);
    const booking = await pendingBooking(world);
    expect((await api.post(`/bookings/${booking.id}/cancel/`, undefined, { token: world.customer.token })).status).toBe(200);
    const cancelled = `Booking cancelled: ${CAR}, ${formatDate(booking.start)}`;
    expect(await outboxOf(booking.id)).toEqual(
      expect.arrayContaining([
        ['booking_cancelled', 'email', world.customer.email],
        ['booking_cancelled', 'email', world.agency.email],
      ]),
    );
    await deliver();
    expect(await subjectsTo(world.customer.email)).toEqual([cancelled, `Booking received: ${CAR}, ${formatDate(booking.start)}`]);
    expect(await subjectsTo(world.agency.email)).toEqual([cancelled, `New booking: ${CAR}, ${formatRange(booking.start, booking.end, 2)}`]);
  });

  it("the agency confirming a booking (PATCH /agency/bookings/{id}/) mails the customer 'booking confirmed'; cancelling it later mails both 'booking cancelled'", async () => {
    const world = await bookingWorld(api);
    const booking = await pendingBooking(world);
    const path = `/agency/bookings/${booking.id}/`;
    expect((await api.patch(path, { status: 'confirmed' }, { token: world.agency.token })).status).toBe(200);
    expect(await outboxOf(booking.id)).toContainEqual(['booking_confirmed', 'email', world.customer.email]);
    await deliver();
    const confirmed = `Booking confirmed: ${CAR}, ${formatDate(booking.start)}`;
    const received = `Booking received: ${CAR}, ${formatDate(booking.start)}`;
    expect(await subjectsTo(world.customer.email)).toEqual([confirmed, received]);

    expect((await api.patch(path, { status: 'cancelled' }, { token: world.agency.token })).status).toBe(200);
    await deliver();
    const cancelled = `Booking cancelled: ${CAR}, ${formatDate(booking.start)}`;
    expect(await subjectsTo(world.customer.email)).toEqual([cancelled, confirmed, received]);
    expect(await subjectsTo(world.agency.email)).toContain(cancelled);
  });

  it("the expiry job expires an unpaid hold past its 15 minutes and mails its customer 'booking expired'", async () => {
    const world = await bookingWorld(api);
    const booking = await pendingBooking(world);
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', booking.id)
      .execute();
    expect(await expireHolds()).toEqual({ expired: 1 });
    expect(await outboxOf(booking.id)).toContainEqual(['booking_expired', 'email', world.customer.email]);
    await deliver();
    expect(await subjectsTo(world.customer.email)).toEqual([
      `Booking expired: ${CAR}, ${formatDate(booking.start)}`,
      `Booking received: ${CAR}, ${formatDate(booking.start)}`,
    ]);
  });

  it("a deposit paid after its hold expired is refunded and mails the customer alone 'deposit refunded', once however often Stripe delivers the event", async () => {
    const world = await bookingWorld(api);
    const booking = await pendingBooking(world);
    await stripeStandin.succeed(booking.intent); // paid at Stripe a moment before the hold expired; the event comes after
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', booking.id)
      .execute();
    expect(await expireHolds()).toEqual({ expired: 1 });
    await deliver(); // 'received' and 'expired', so that only what the late payment sends is in question
    const customerBefore = await subjectsTo(world.customer.email);
    const agencyBefore = await subjectsTo(world.agency.email);

    const late = stripeEvent('payment_intent.succeeded', booking.intent);
    expect((await postStripeEvent(api, late)).body).toEqual({ received: true, outcome: 'refunded' });
    const refundNotices = () =>
      db
        .selectFrom('notifications')
        .select(['channel', 'recipient', 'payload'])
        .where('reservation_id', '=', booking.id)
        .where('kind', '=', 'deposit_refunded')
        .execute();
    expect(await refundNotices()).toEqual([
      {
        channel: 'email',
        recipient: world.customer.email,
        payload: expect.objectContaining({ audience: 'customer', booking_status: 'expired', deposit_amount: 500_000 }),
      },
    ]);

    await deliver();
    const refunded = `Deposit refunded: ${CAR}, ${formatDate(booking.start)}`;
    expect(await subjectsTo(world.customer.email)).toEqual([refunded, ...customerBefore].sort());
    const mail = (await sentMailTo(world.customer.email)).find((email) => email.subject === refunded)!;
    expect(mail.body.text).toContain('full deposit of THB 5,000.00');
    expect(mail.body.text).toContain('after the 15-minute hold on your booking had expired');
    expect(await subjectsTo(world.agency.email)).toEqual(agencyBefore);

    // Stripe delivers the same event again: a 200 with no effect, and no second email.
    expect((await postStripeEvent(api, late)).body).toEqual({ received: true, outcome: 'duplicate' });
    expect(await refundNotices()).toHaveLength(1);
    await deliver();
    expect(await subjectsTo(world.customer.email)).toEqual([refunded, ...customerBefore].sort());
    expect(await subjectsTo(world.agency.email)).toEqual(agencyBefore);
  });

  it("a deposit paid after the customer cancelled is refunded, and the 'deposit refunded' email says the booking had been cancelled, to the customer alone", async () => {
    const world = await bookingWorld(api);
    const booking = await pendingBooking(world);
    await stripeStandin.succeed(booking.intent); // paid at Stripe a moment before the customer cancelled; the event comes after
    expect((await api.post(`/bookings/${booking.id}/cancel/`, undefined, { token: world.customer.token })).status).toBe(200);
    await deliver();
    const agencyBefore = await subjectsTo(world.agency.email);

    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', booking.intent))).body.outcome).toBe('refunded');
    expect(await outboxOf(booking.id)).toContainEqual(['deposit_refunded', 'email', world.customer.email]);
    await deliver();
    const mail = (await sentMailTo(world.customer.email)).find((email) => email.subject === `Deposit refunded: ${CAR}, ${formatDate(booking.start)}`);
    expect(mail?.body.text).toContain('after your booking had been cancelled');
    expect(mail?.body.text).not.toContain('15-minute hold');
    expect(await subjectsTo(world.agency.email)).toEqual(agencyBefore);
  });
});

describe('the outbox commits with the booking or not at all', () => {
  it('a booking whose last transaction fails at COMMIT, after its notifications were queued, leaves no notification, sends no mail and frees its dates; the retry converges on the same booking', async () => {
    const world = await bookingWorld(api);
    // A deferred trigger fails the COMMIT of a booking, but only once the booking's two
    // notifications are in place in its transaction: had they not been written (or been
    // written outside it), the commit would go through and the test would see a booking.
    // Created as the owner: the app's role may not change the schema.
    const owner = connect<unknown>(ownerUrl(), 1);
    await sql`
      CREATE FUNCTION test_fail_commit_with_notifications() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (SELECT count(*) FROM notifications WHERE reservation_id = NEW.reservation_id) = 2 THEN
          RAISE EXCEPTION 'commit refused: the booking and its notifications must go together';
        END IF;
        RETURN NULL;
      END $$`.execute(owner);
    await sql`
      CREATE CONSTRAINT TRIGGER test_fail_commit_with_notifications AFTER UPDATE ON idempotency_keys
      DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.key LIKE 'doomed-%')
      EXECUTE FUNCTION test_fail_commit_with_notifications()`.execute(owner);
    const start = bangkokDate(30);
    const key = `doomed-${world.customer.user.id}`;
    try {
      const answer = await book(api, world.customer.token, { car_id: world.car.id, start_date: start, end_date: start }, key);
      expect(answer.status).toBe(500);
    } finally {
      await sql`DROP TRIGGER test_fail_commit_with_notifications ON idempotency_keys`.execute(owner);
      await sql`DROP FUNCTION test_fail_commit_with_notifications()`.execute(owner);
      await owner.destroy();
    }
    // The hold (committed first) is released at once: pending, already expired, no intent attached.
    const [held, ...others] = await db
      .selectFrom('reservations')
      .select(['id', 'status', 'payment_intent_id', sql<boolean>`expires_at <= now()`.as('released')])
      .where('car_id', '=', world.car.id)
      .execute();
    expect(others).toEqual([]);
    expect(held).toMatchObject({ status: 'pending', payment_intent_id: null, released: true });
    const recipients = [world.customer.email, world.agency.email];
    expect(await db.selectFrom('notifications').select('id').where('recipient', 'in', recipients).execute()).toEqual([]);
    await deliver();
    expect(await sentMailTo(world.customer.email)).toEqual([]);
    expect(await sentMailTo(world.agency.email)).toEqual([]);

    // The client retries with the same key: the same booking, now with its intent and notices.
    const retry = await book(api, world.customer.token, { car_id: world.car.id, start_date: start, end_date: start }, key);
    expect(retry.status).toBe(201);
    expect(retry.body.id).toBe(held!.id);
    expect(await outboxOf(held!.id)).toContainEqual(['booking_received', 'email', world.customer.email]);
  });

  it('a booking that fails at the payment provider answers 503 and frees its dates; the overdue hold it expired on the way stays expired (and its customer is told), the rival is told nothing', async () => {
    const world = await bookingWorld(api);
    const hold = await pendingBooking(world);
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', hold.id)
      .execute();
    await deliver(); // the hold's own 'received' mail, so that only what follows is in question

    const rival = await createCustomer();
    const stripeDown: PaymentProvider = {
      ...(await paymentProvider()),
      createDepositIntent: async () => {
        throw new Error('payment provider unavailable');
      },
    };
    setPaymentProviderForTests(stripeDown);
    try {
      const answer = await book(api, rival.token, { car_id: world.car.id, start_date: hold.start, end_date: hold.end });
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
    } finally {
      setPaymentProviderForTests(undefined);
    }

    const rows = await db
      .selectFrom('reservations')
      .select(['id', 'status', 'payment_intent_id', sql<boolean>`expires_at <= now()`.as('released')])
      .where('car_id', '=', world.car.id)
      .orderBy('created_at')
      .execute();
    expect(rows).toEqual([
      { id: hold.id, status: 'expired', payment_intent_id: hold.intent, released: true },
      { id: expect.any(String), status: 'pending', payment_intent_id: null, released: true },
    ]);
    expect(await outboxOf(hold.id)).toContainEqual(['booking_expired', 'email', world.customer.email]);
    expect(await db.selectFrom('notifications').select('id').where('recipient', '=', rival.email).execute()).toEqual([]);
    await deliver();
    expect(await sentMailTo(rival.email)).toEqual([]);
    // The dates are free again for anyone: a third customer books them.
    const third = await createCustomer();
    expect((await book(api, third.token, { car_id: world.car.id, start_date: hold.start, end_date: hold.end })).status).toBe(201);
  });
});

/** The agency's phone in E.164, as its SMS go. */
async function agencyNumber(world: BookingWorld): Promise<string> {
  const agency = await db.selectFrom('agencies').select('phone').where('id', '=', world.agency.agency!.id).executeTakeFirstOrThrow();
  return smsNumber(agency.phone)!;
}

/** The code of the newest phone verification SMS queued to this number (locally SMS is off: it stays in the outbox row). */
async function textedCode(number: string): Promise<string> {
  const row = await db
    .selectFrom('notifications')
    .select('payload')
    .where('kind', '=', 'phone_verification')
    .where('recipient', '=', number)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirstOrThrow();
  return (row.payload as { code: string }).code;
}

const smsTo = (number: string) =>
  db
    .selectFrom('notifications')
    .select(['kind', 'reservation_id'])
    .where('channel', '=', 'sms')
    .where('recipient', '=', number)
    .where('kind', '=', 'agency_new_booking')
    .execute();

describe('agency SMS only where they cannot be pumped: for paid bookings, to a number the agency verified', () => {
  it('an agency proves its phone with the code texted to it (POST /agency/phone/verification/, then /agency/phone/verify/)', async () => {
    const world = await bookingWorld(api);
    const number = await agencyNumber(world);
    const token = world.agency.token;

    const sent = await api.post('/agency/phone/verification/', undefined, { token });
    expect(sent.status).toBe(202);
    expect(sent.body).toEqual({ phone: number, phone_verified: false, expires_at: expect.any(String) });
    const code = await textedCode(number);
    expect(code).toMatch(/^\d{6}$/);
    // SMS is off locally: the row is skipped, and keeps its code for whoever reads it here.
    await deliver();
    expect(
      await db
        .selectFrom('notifications')
        .select(['status', 'payload'])
        .where('kind', '=', 'phone_verification')
        .where('recipient', '=', number)
        .executeTakeFirstOrThrow(),
    ).toMatchObject({
      status: 'skipped',
      payload: { code },
    });

    const wrong = await api.post('/agency/phone/verify/', { code: code === '000000' ? '000001' : '000000' }, { token });
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toEqual([{ path: 'code', message: 'is wrong or has expired' }]);
    const verified = await api.post('/agency/phone/verify/', { code }, { token });
    expect(verified.status).toBe(200);
    expect(verified.body).toEqual({ phone: number, phone_verified: true });
    expect((await api.post('/agency/phone/verification/', undefined, { token })).status).toBe(409);
    // A customer has no agency phone to verify.
    expect((await api.post('/agency/phone/verification/', undefined, { token: world.customer.token })).status).toBe(403);
  });

  it('texts a code at most once a minute and 3 times a day (429 with Retry-After beyond)', async () => {
    const world = await bookingWorld(api);
    const token = world.agency.token;
    const request = () => api.post('/agency/phone/verification/', undefined, { token });
    const olderCodes = (minutes: number) =>
      sql`UPDATE verification_codes SET created_at = created_at - make_interval(mins => ${minutes}) WHERE user_id = ${world.agency.user.id}`.execute(db);

    expect((await request()).status).toBe(202);
    const tooSoon = await request();
    expect(tooSoon.status).toBe(429);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(tooSoon.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    for (const _ of [2, 3]) {
      await olderCodes(10);
      expect((await request()).status).toBe(202);
    }
    await olderCodes(10);
    const fourth = await request();
    expect(fourth.status).toBe(429);
    expect(fourth.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(fourth.headers.get('retry-after'))).toBeGreaterThan(23 * 3600); // the oldest of the three is 30 minutes old
    const number = await agencyNumber(world);
    expect(await db.selectFrom('notifications').select('id').where('kind', '=', 'phone_verification').where('recipient', '=', number).execute()).toHaveLength(
      3,
    );
  });

  it('the deposit paid texts the agency at its verified number; an unverified or changed number gets nothing', async () => {
    const unverified = await bookingWorld(api);
    const first = await pendingBooking(unverified);
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', first.intent))).body.outcome).toBe('confirmed');
    expect(await smsTo(await agencyNumber(unverified))).toEqual([]);

    const verified = await bookingWorld(api, { phoneVerified: true });
    const number = await agencyNumber(verified);
    const hold = await pendingBooking(verified);
    expect(await smsTo(number)).toEqual([]); // the unpaid hold: nothing
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', hold.intent))).body.outcome).toBe('confirmed');
    expect(await smsTo(number)).toEqual([{ kind: 'agency_new_booking', reservation_id: hold.id }]);
    expect(await outboxOf(hold.id)).toContainEqual(['booking_confirmed', 'email', verified.customer.email]);

    // A new phone is not verified, whatever code changes it (a trigger): the next payment texts no one.
    await db.updateTable('agencies').set({ phone: '+66 76 385 999' }).where('id', '=', verified.agency.agency!.id).execute();
    const later = await book(api, verified.customer.token, { car_id: verified.car.id, start_date: bangkokDate(40), end_date: bangkokDate(41) });
    expect(later.status).toBe(201);
    expect((await postStripeEvent(api, stripeEvent('payment_intent.succeeded', later.body.payment.intent_id))).body.outcome).toBe('confirmed');
    expect(await db.selectFrom('notifications').select('id').where('channel', '=', 'sms').where('reservation_id', '=', later.body.id).execute()).toEqual([]);
  });

  it('the agency confirming a booking itself (no payment) texts nobody', async () => {
    const world = await bookingWorld(api, { phoneVerified: true });
    const booking = await pendingBooking(world);
    expect((await api.patch(`/agency/bookings/${booking.id}/`, { status: 'confirmed' }, { token: world.agency.token })).status).toBe(200);
    expect(await smsTo(await agencyNumber(world))).toEqual([]);
  });
});
