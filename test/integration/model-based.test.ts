import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { runExpiry } from '#core/bookings/expiry';
import { forgetConfig } from '#platform/config';
import { getDb } from '#platform/db';
import { paymentProvider, signWebhookPayload } from '#platform/payments';
import { useApi, type ApiAnswer } from '../helpers/api';
import { createAgencyAdmin, createCustomer, type TestUser } from '../helpers/auth';
import { book, stripeEvent } from '../helpers/bookings';
import { bangkokDate, carBody } from '../helpers/cars';
import { StandinRefusal, stripeStandin } from '../helpers/stripe';

/**
 * A model-based test of the whole booking API (the rules are docs/bookings.md).
 * fast-check draws random sequences of commands (register, cars, blocks, book with fresh and
 * repeated Idempotency-Keys, pay, payment failures, webhook replays, expiry, cancellations,
 * agency status changes, reviews), runs each against the real local server, and checks every
 * answer against a small in-memory model of what it must be. After every command the database
 * and the Stripe stand-in must agree with the model, and three invariants must hold whatever
 * the model says: no two date-holding reservations of a car overlap, each agency's rating is the
 * mean of its reviews, and every captured deposit is held by a live booking or refunded once.
 *
 * Fixed sequences come first, for the deep paths (a paid rental reviewed, a late payment
 * refunded, both hold limits) a short random run may miss. CI then runs a fixed seed and a
 * modest count; for a long run: `FC_RUNS=500 FC_SEED=… FC_STATS=1 npx vitest run
 * test/integration/model-based.test.ts` (FC_STATS prints how often each answer was seen).
 * Dates are days from today in Bangkok, taken per command: a run that crosses midnight there
 * (17:00 UTC) can disagree with its model.
 */

const api = useApi();
const db = getDb();

const DEPOSIT = 500_000;
const MAX_UNPAID_HOLDS = 2;
/** Below the default of 6 (BOOKING_MAX_PER_HOUR, docs/bookings.md), so that short sequences reach the hourly limit too. */
const MAX_BOOKINGS_PER_HOUR = 4;
process.env.BOOKING_MAX_PER_HOUR = String(MAX_BOOKINGS_PER_HOUR);
forgetConfig();
/** A confirmed booking cancelled by its customer gets the deposit back when its start day is this many days ahead or more (48 h before 00:00 Bangkok). */
const REFUND_FROM_DAYS_AHEAD = 3;

type Status = 'pending' | 'confirmed' | 'cancelled' | 'expired' | 'completed';
/** The intent at Stripe: open (awaiting payment), declined (a card was refused; payable with another), succeeded, canceled. */
type IntentState = 'open' | 'declined' | 'succeeded' | 'canceled';
const payable = (state: IntentState) => state === 'open' || state === 'declined';

interface CustomerM {
  user: TestUser;
  /** Bookings created (201, not replays) in this run: all within the last hour. */
  created: number;
}
interface AgencyM {
  user: TestUser;
  ratings: number[];
}
interface CarM {
  id: string;
  agency: number;
  published: boolean;
}
interface BookingM {
  id: string;
  customer: number;
  car: number;
  start: string;
  end: string;
  status: Status;
  paid: boolean;
  intent: string;
  intentState: IntentState;
  refunds: number;
  /** Cancelled by its customer, paid, less than 48 h before the start day: the agency keeps the deposit. */
  keptByPolicy: boolean;
  reviewed: boolean;
}
interface BookingBody {
  car_id: string;
  start_date: string;
  end_date: string;
}
interface KeyM {
  customer: number;
  key: string;
  body: BookingBody;
  /** The booking whose 201 is stored under the key; none while every request with it failed. */
  booking?: number;
}
interface Model {
  customers: CustomerM[];
  agencies: AgencyM[];
  cars: CarM[];
  blocks: { car: number; start: string; end: string }[];
  bookings: BookingM[];
  keys: KeyM[];
  /** Every webhook payload delivered so far, for replays. */
  events: string[];
  /** Payments Stripe has taken whose payment_intent.succeeded is not delivered yet (Stripe delivers late and out of order). */
  inFlight: { payload: string; booking: number; type: string }[];
}
type Real = Record<string, never>;
type Cmd = fc.AsyncCommand<Model, Real>;

/** The n-th newest (wrapping): small n are drawn most, so a sequence tends to carry one booking through its life. */
const pick = <T>(list: readonly T[], n: number): T => list[list.length - 1 - (n % list.length)]!;
const overlaps = (a: { start: string; end: string }, b: { start: string; end: string }) => a.end >= b.start && a.start <= b.end;
/**
 * A booking for a command: with `targeted`, among those the command can act on (so sequences
 * reach deep states: paid, completed, reviewed); else among all (the refusals are checked too).
 */
function chooseBooking(m: Model, n: number, targeted: boolean, canAct: (booking: BookingM) => boolean): BookingM {
  const candidates = targeted ? m.bookings.filter(canAct) : [];
  return pick(candidates.length > 0 ? candidates : m.bookings, n);
}
const holdsDates = (booking: BookingM) => booking.status === 'pending' || booking.status === 'confirmed' || booking.status === 'completed';

function carIsFree(m: Model, car: number, range: { start: string; end: string }): boolean {
  return (
    !m.blocks.some((block) => block.car === car && overlaps(block, range)) &&
    !m.bookings.some((booking) => booking.car === car && holdsDates(booking) && overlaps(booking, range))
  );
}

function explain(answer: ApiAnswer): string {
  return `${answer.status} ${answer.text.slice(0, 300)}`;
}

/** How often each kind of answer was seen: FC_STATS=1 prints it for the random runs; each scenario checks it took its path. */
const seen = new Map<string, number>();
const saw = (label: string) => seen.set(label, (seen.get(label) ?? 0) + 1);

function expectStatus(answer: ApiAnswer, status: number, what: string, label = what): void {
  expect(answer.status, `${what}: ${explain(answer)}`).toBe(status);
  saw(`${label} → ${status}${status === 429 ? ` ${answer.body?.limit}` : ''}`);
}

/** The answer a new booking request (fresh key, or a key no request stored a 201 under) must get. */
function predictNewBooking(m: Model, customer: number, body: BookingBody): { status: 201 | 404 | 409 | 429; limit?: string } {
  const car = m.cars.findIndex((c) => c.id === body.car_id);
  if (!m.cars[car]!.published) return { status: 404 };
  const unpaid = m.bookings.filter((b) => b.customer === customer && b.status === 'pending').length;
  if (unpaid >= MAX_UNPAID_HOLDS) return { status: 429, limit: 'unpaid_holds' };
  if (m.customers[customer]!.created >= MAX_BOOKINGS_PER_HOUR) return { status: 429, limit: 'bookings_per_hour' };
  if (!carIsFree(m, car, { start: body.start_date, end: body.end_date })) return { status: 409 };
  return { status: 201 };
}

/** Sends a booking request under `key` and checks the answer against the model, which it then updates. */
async function requestBooking(m: Model, customer: number, body: BookingBody, key: KeyM | undefined): Promise<void> {
  const keyString = key?.key ?? randomUUID();
  const stored = key?.booking !== undefined ? key : undefined;
  const answer = await book(api, m.customers[customer]!.user.token, { ...body }, keyString);
  if (stored) {
    const sameBody = JSON.stringify(stored.body) === JSON.stringify(body);
    if (!sameBody) {
      expectStatus(answer, 409, 'a stored Idempotency-Key with another body');
      return;
    }
    // The stored 201, as it was, whatever happened to the booking since; nothing new written.
    expectStatus(answer, 201, 'a replayed Idempotency-Key');
    expect(answer.body.id).toBe(m.bookings[stored.booking!]!.id);
    expect(answer.headers.get('idempotent-replayed')).toBe('true');
    return;
  }
  const expected = predictNewBooking(m, customer, body);
  expectStatus(answer, expected.status, `booking ${JSON.stringify(body)}`, 'new booking');
  const keyM = key ?? { customer, key: keyString, body };
  if (!key) m.keys.push(keyM);
  keyM.body = body;
  if (expected.status === 429) {
    expect(answer.body.limit).toBe(expected.limit);
    expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
  }
  if (expected.status !== 201) return;
  expect(answer.body).toMatchObject({ status: 'pending', car_id: body.car_id, start_date: body.start_date, end_date: body.end_date, deposit_amount: DEPOSIT });
  expect(answer.body.payment).toMatchObject({ provider: 'stripe', amount: DEPOSIT });
  expect(answer.headers.get('idempotent-replayed')).toBeNull();
  m.customers[customer]!.created += 1;
  keyM.booking = m.bookings.length;
  m.bookings.push({
    id: answer.body.id,
    customer,
    car: m.cars.findIndex((c) => c.id === body.car_id),
    start: body.start_date,
    end: body.end_date,
    status: 'pending',
    paid: false,
    intent: answer.body.payment.intent_id,
    intentState: 'open',
    refunds: 0,
    keptByPolicy: false,
    reviewed: false,
  });
}

/** Posts a signed event as Stripe would, re-signed now (as Stripe signs each delivery); touches nothing at the stand-in. */
function postEvent(payload: string) {
  return api.request('POST', '/payments/webhook/', {
    rawBody: payload,
    headers: { 'content-type': 'application/json', 'stripe-signature': signWebhookPayload(payload, process.env.STRIPE_WEBHOOK_SECRET!) },
  });
}

/**
 * What any payment_intent.* event must do to its booking: the event only triggers, the intent's
 * current state at Stripe decides (the payment state machine of docs/bookings.md).
 */
function applyPaymentEvent(booking: BookingM): void {
  if (booking.intentState === 'succeeded') {
    if (booking.status === 'pending') {
      booking.status = 'confirmed';
      booking.paid = true;
    } else if (booking.status === 'confirmed' || booking.status === 'completed') booking.paid = true;
    // Cancelled or expired: never confirmed over dates that may be someone else's now; refunded
    // (once), unless the customer cancelled late and the policy gives the deposit to the agency.
    else if (!booking.keptByPolicy) booking.refunds = 1;
  } else if (booking.status === 'pending' && (booking.intentState === 'declined' || booking.intentState === 'canceled')) {
    booking.status = 'cancelled';
    booking.intentState = 'canceled'; // a declined intent is cancelled at Stripe first
  }
}

async function deliver(m: Model, type: string, booking: BookingM): Promise<void> {
  const payload = stripeEvent(type, booking.intent, { amount: DEPOSIT }).payload;
  const answer = await postEvent(payload);
  expectStatus(answer, 200, `${type} (intent ${booking.intentState}, booking ${booking.status})`, `${type} for a ${booking.status} booking`);
  applyPaymentEvent(booking);
  m.events.push(payload);
}

/** Our code cancels a booking's intent (a payment task); Stripe refuses to cancel one already paid, which stays succeeded. */
function cancelIntent(booking: BookingM): void {
  if (payable(booking.intentState)) booking.intentState = 'canceled';
}

// ---------------------------------------------------------------- commands

class RegisterCustomer implements Cmd {
  check = () => true;
  async run(m: Model) {
    m.customers.push({ user: await createCustomer(), created: 0 });
  }
  toString = () => 'RegisterCustomer';
}

class RegisterAgency implements Cmd {
  check = () => true;
  async run(m: Model) {
    m.agencies.push({ user: await createAgencyAdmin(), ratings: [] });
  }
  toString = () => 'RegisterAgency';
}

class CreateCar implements Cmd {
  constructor(
    readonly agency: number,
    readonly published: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.agencies.length > 0;
  async run(m: Model) {
    const agency = this.agency % m.agencies.length;
    const answer = await api.post('/agency/cars/', carBody({ is_published: this.published, deposit_amount: DEPOSIT }), {
      token: m.agencies[agency]!.user.token,
    });
    expectStatus(answer, 201, 'create car');
    expect(answer.body.is_published).toBe(this.published);
    m.cars.push({ id: answer.body.id, agency, published: this.published });
  }
  toString = () => `CreateCar(agency ${this.agency}, published ${this.published})`;
}

class SetPublished implements Cmd {
  constructor(
    readonly car: number,
    readonly published: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.cars.length > 0;
  async run(m: Model) {
    const car = pick(m.cars, this.car);
    const answer = await api.patch(`/agency/cars/${car.id}/`, { is_published: this.published }, { token: m.agencies[car.agency]!.user.token });
    expectStatus(answer, 200, 'publish/unpublish');
    expect(answer.body.is_published).toBe(this.published);
    car.published = this.published;
  }
  toString = () => `SetPublished(car ${this.car}, ${this.published})`;
}

class Block implements Cmd {
  constructor(
    readonly car: number,
    readonly startIn: number,
    readonly length: number,
  ) {}
  check = (m: Readonly<Model>) => m.cars.length > 0;
  async run(m: Model) {
    const carIndex = this.car % m.cars.length;
    const car = m.cars[carIndex]!;
    const range = { start: bangkokDate(this.startIn), end: bangkokDate(this.startIn + this.length) };
    const free = carIsFree(m, carIndex, range);
    const answer = await api.post(
      `/agency/cars/${car.id}/blocks/`,
      { start_date: range.start, end_date: range.end, reason: 'maintenance' },
      { token: m.agencies[car.agency]!.user.token },
    );
    expectStatus(answer, free ? 201 : 409, `block ${range.start}..${range.end}`, 'block');
    if (free) m.blocks.push({ car: carIndex, ...range });
  }
  toString = () => `Block(car ${this.car}, +${this.startIn}d, ${this.length + 1} days)`;
}

class Book implements Cmd {
  constructor(
    readonly customer: number,
    readonly car: number,
    readonly startIn: number,
    readonly length: number,
  ) {}
  check = (m: Readonly<Model>) => m.customers.length > 0 && m.cars.length > 0;
  async run(m: Model) {
    const body = { car_id: pick(m.cars, this.car).id, start_date: bangkokDate(this.startIn), end_date: bangkokDate(this.startIn + this.length) };
    await requestBooking(m, this.customer % m.customers.length, body, undefined);
  }
  toString = () => `Book(customer ${this.customer}, car ${this.car}, +${this.startIn}d, ${this.length + 1} days)`;
}

/** The same Idempotency-Key again: with its body (a client retry), or with other dates. */
class BookAgain implements Cmd {
  constructor(
    readonly key: number,
    readonly otherDates: { startIn: number; length: number } | null,
  ) {}
  check = (m: Readonly<Model>) => m.keys.length > 0;
  async run(m: Model) {
    const key = pick(m.keys, this.key);
    const body = this.otherDates
      ? { car_id: key.body.car_id, start_date: bangkokDate(this.otherDates.startIn), end_date: bangkokDate(this.otherDates.startIn + this.otherDates.length) }
      : key.body;
    if (this.otherDates && JSON.stringify(body) === JSON.stringify(key.body)) body.end_date = bangkokDate(this.otherDates.startIn + this.otherDates.length + 1);
    await requestBooking(m, key.customer, body, key);
  }
  toString = () => `BookAgain(key ${this.key}, ${this.otherDates ? `other dates +${this.otherDates.startIn}d` : 'same body'})`;
}

/** The customer pays at Stripe (the stand-in's intent succeeds) and Stripe posts payment_intent.succeeded. */
class Pay implements Cmd {
  constructor(
    readonly booking: number,
    readonly targeted: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.bookings.length > 0;
  async run(m: Model) {
    const booking = chooseBooking(m, this.booking, this.targeted, (b) => payable(b.intentState));
    if (!payable(booking.intentState)) {
      // Stripe refuses to take money on a canceled or succeeded intent: nothing to deliver.
      await expect(stripeStandin.succeed(booking.intent)).rejects.toBeInstanceOf(StandinRefusal);
      saw(`pay a ${booking.intentState} intent → refused by Stripe`);
      return;
    }
    await stripeStandin.succeed(booking.intent);
    booking.intentState = 'succeeded';
    await deliver(m, 'payment_intent.succeeded', booking);
  }
  toString = () => `Pay(booking ${this.booking}${this.targeted ? ' of the payable' : ''})`;
}

/**
 * Something happens at Stripe now (paid, a card declined, canceled in the Dashboard) whose
 * event Stripe delivers later (DeliverLate), after whatever happens meanwhile.
 */
class MoveAtStripeOnly implements Cmd {
  constructor(
    readonly booking: number,
    readonly to: 'succeeded' | 'declined' | 'canceled',
  ) {}
  check = (m: Readonly<Model>) => m.bookings.some((b) => payable(b.intentState));
  async run(m: Model) {
    const booking = pick(
      m.bookings.filter((b) => payable(b.intentState)),
      this.booking,
    );
    const move = { succeeded: stripeStandin.succeed, declined: stripeStandin.fail, canceled: stripeStandin.cancel }[this.to];
    await move(booking.intent);
    booking.intentState = this.to;
    const type = { succeeded: 'payment_intent.succeeded', declined: 'payment_intent.payment_failed', canceled: 'payment_intent.canceled' }[this.to];
    m.inFlight.push({ payload: stripeEvent(type, booking.intent, { amount: DEPOSIT }).payload, booking: m.bookings.indexOf(booking), type });
    saw(`${this.to} at Stripe, event in flight`);
  }
  toString = () => `MoveAtStripeOnly(payable booking ${this.booking}, ${this.to})`;
}

/** Stripe delivers one of the events still in flight, in any order. */
class DeliverLate implements Cmd {
  constructor(readonly event: number) {}
  check = (m: Readonly<Model>) => m.inFlight.length > 0;
  async run(m: Model) {
    const [event] = m.inFlight.splice(m.inFlight.length - 1 - (this.event % m.inFlight.length), 1);
    const booking = m.bookings[event!.booking]!;
    const answer = await postEvent(event!.payload);
    expectStatus(
      answer,
      200,
      `late ${event!.type} (intent ${booking.intentState}) for a ${booking.status} booking`,
      `late event, intent ${booking.intentState}, booking ${booking.status}`,
    );
    applyPaymentEvent(booking);
    m.events.push(event!.payload);
  }
  toString = () => `DeliverLate(${this.event})`;
}

/** A card is declined (payment_intent.payment_failed), or the intent is canceled outside our code (payment_intent.canceled). */
class PaymentFails implements Cmd {
  constructor(
    readonly booking: number,
    readonly how: 'declined' | 'canceled',
  ) {}
  check = (m: Readonly<Model>) => m.bookings.some((b) => payable(b.intentState));
  async run(m: Model) {
    const booking = pick(
      m.bookings.filter((b) => payable(b.intentState)),
      this.booking,
    );
    if (this.how === 'declined') await stripeStandin.fail(booking.intent);
    else await stripeStandin.cancel(booking.intent);
    booking.intentState = this.how;
    await deliver(m, this.how === 'declined' ? 'payment_intent.payment_failed' : 'payment_intent.canceled', booking);
  }
  toString = () => `PaymentFails(payable booking ${this.booking}, ${this.how})`;
}

/** Stripe delivers an event it delivered before again (same id), in any order: no effect. */
class ReplayEvent implements Cmd {
  constructor(readonly event: number) {}
  check = (m: Readonly<Model>) => m.events.length > 0;
  async run(m: Model) {
    const answer = await postEvent(pick(m.events, this.event));
    expectStatus(answer, 200, 'replayed event');
  }
  toString = () => `ReplayEvent(${this.event})`;
}

/** Time moves past a pending hold's 15 minutes and the minute job runs. */
class Expire implements Cmd {
  constructor(readonly booking: number) {}
  check = (m: Readonly<Model>) => m.bookings.some((b) => b.status === 'pending');
  async run(m: Model) {
    const booking = pick(
      m.bookings.filter((b) => b.status === 'pending'),
      this.booking,
    );
    await db
      .updateTable('reservations')
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where('id', '=', booking.id)
      .execute();
    await runExpiry(db, await paymentProvider());
    booking.status = 'expired';
    cancelIntent(booking);
    saw('expire a pending hold');
  }
  toString = () => `Expire(pending booking ${this.booking})`;
}

class CustomerCancel implements Cmd {
  constructor(
    readonly booking: number,
    readonly targeted: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.bookings.length > 0;
  async run(m: Model) {
    const booking = chooseBooking(m, this.booking, this.targeted, (b) => (b.status === 'pending' || b.status === 'confirmed') && b.start > bangkokDate(0));
    const answer = await api.post(`/bookings/${booking.id}/cancel/`, undefined, { token: m.customers[booking.customer]!.user.token });
    const today = bangkokDate(0);
    if ((booking.status !== 'pending' && booking.status !== 'confirmed') || booking.start <= today) {
      expectStatus(
        answer,
        409,
        `customer cancels a ${booking.status} booking from ${booking.start}`,
        `customer cancels ${booking.status}${booking.start <= today ? ' (started)' : ''}`,
      );
      return;
    }
    expectStatus(answer, 200, `customer cancels a ${booking.status} booking`, `customer cancels ${booking.status}${booking.paid ? ' paid' : ''}`);
    const refund = booking.paid && booking.start >= bangkokDate(REFUND_FROM_DAYS_AHEAD);
    expect(answer.body).toMatchObject({ status: 'cancelled', refund: refund ? { amount: DEPOSIT } : null });
    booking.status = 'cancelled';
    if (!booking.paid) cancelIntent(booking);
    else if (refund) booking.refunds = 1;
    else booking.keptByPolicy = true;
  }
  toString = () => `CustomerCancel(booking ${this.booking}${this.targeted ? ' of the cancellable' : ''})`;
}

class AgencySetStatus implements Cmd {
  constructor(
    readonly booking: number,
    readonly to: 'confirmed' | 'cancelled' | 'completed',
    readonly targeted: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.bookings.length > 0;
  async run(m: Model) {
    const from: Record<typeof this.to, Status[]> = { confirmed: ['pending'], cancelled: ['pending', 'confirmed'], completed: ['confirmed'] };
    const booking = chooseBooking(
      m,
      this.booking,
      this.targeted,
      (b) => from[this.to].includes(b.status) && (this.to !== 'completed' || b.start <= bangkokDate(0)),
    );
    const car = m.cars[booking.car]!;
    const answer = await api.patch(`/agency/bookings/${booking.id}/`, { status: this.to }, { token: m.agencies[car.agency]!.user.token });
    const today = bangkokDate(0);
    const allowed =
      (booking.status === 'pending' && (this.to === 'confirmed' || this.to === 'cancelled')) ||
      (booking.status === 'confirmed' && (this.to === 'cancelled' || (this.to === 'completed' && today >= booking.start)));
    if (!allowed) {
      expectStatus(answer, 409, `agency moves a ${booking.status} booking from ${booking.start} to ${this.to}`, `agency ${booking.status} → ${this.to}`);
      return;
    }
    expectStatus(answer, 200, `agency moves a ${booking.status} booking to ${this.to}`, `agency ${booking.status} → ${this.to}`);
    if (this.to === 'cancelled') {
      // An agency never keeps a deposit: refunded in full if paid, else the intent is cancelled.
      if (booking.paid) booking.refunds = 1;
      else cancelIntent(booking);
    }
    if (this.to === 'completed' && today < booking.end) booking.end = today; // an early return
    booking.status = this.to;
    expect(answer.body).toMatchObject({ status: this.to, end_date: booking.end });
  }
  toString = () => `AgencySetStatus(booking ${this.booking}${this.targeted ? ' of the movable' : ''}, ${this.to})`;
}

class Review implements Cmd {
  constructor(
    readonly booking: number,
    readonly rating: number,
    readonly targeted: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.bookings.length > 0;
  async run(m: Model) {
    const booking = chooseBooking(m, this.booking, this.targeted, (b) => b.status === 'completed' && b.paid);
    const answer = await api.post(
      `/bookings/${booking.id}/review/`,
      { rating: this.rating, comment: 'Model-based review' },
      { token: m.customers[booking.customer]!.user.token },
    );
    const allowed = booking.status === 'completed' && booking.paid && !booking.reviewed;
    expectStatus(answer, allowed ? 201 : 409, `review of a ${booking.status}${booking.paid ? ', paid' : ''}${booking.reviewed ? ', reviewed' : ''} booking`);
    if (!allowed) return;
    booking.reviewed = true;
    m.agencies[m.cars[booking.car]!.agency]!.ratings.push(this.rating);
  }
  toString = () => `Review(booking ${this.booking}${this.targeted ? ' of the completed' : ''}, ${this.rating}★)`;
}

// ---------------------------------------------------------------- invariants

const intentStates: Record<string, IntentState> = {
  requires_payment_method: 'open', // 'declined' when last_payment_error is set
  requires_confirmation: 'open',
  requires_action: 'open',
  processing: 'open',
  succeeded: 'succeeded',
  canceled: 'canceled',
};

/** Whatever the model says, in SQL: no two date-holding reservations of one car overlap. */
async function overlappingHolds() {
  const { rows } = await sql<{ a: string; b: string }>`
    WITH holding AS (
      SELECT id, car_id, daterange(start_date, end_date, '[]') AS days FROM reservations
      WHERE (kind = 'block' AND status = 'confirmed')
         OR (kind = 'booking' AND (status IN ('confirmed', 'completed') OR (status = 'pending' AND expires_at > now())))
    )
    SELECT x.id AS a, y.id AS b FROM holding x JOIN holding y ON x.car_id = y.car_id AND x.id < y.id AND x.days && y.days`.execute(db);
  return rows;
}

/** Whatever the model says, in SQL: each agency's rating_average and review_count are the mean and count of its reviews. */
async function ratingsOffTheirReviews() {
  const { rows } = await sql<{ id: string }>`
    SELECT a.id FROM agencies a
    LEFT JOIN (SELECT agency_id, count(*)::int AS n, round(avg(rating)::numeric, 2) AS mean FROM reviews GROUP BY agency_id) r ON r.agency_id = a.id
    WHERE a.review_count <> coalesce(r.n, 0) OR a.rating_average <> coalesce(r.mean, 0)`.execute(db);
  return rows;
}

async function checkInvariants(m: Model): Promise<void> {
  expect(await overlappingHolds(), 'overlapping date-holding reservations').toEqual([]);
  expect(await ratingsOffTheirReviews(), 'agencies whose rating is not the mean of their reviews').toEqual([]);

  if (m.agencies.length > 0) {
    const agencies = await db
      .selectFrom('agencies')
      .select(['id', 'rating_average', 'review_count'])
      .where(
        'id',
        'in',
        m.agencies.map((a) => a.user.agency!.id),
      )
      .execute();
    for (const agency of m.agencies) {
      const row = agencies.find((a) => a.id === agency.user.agency!.id)!;
      const mean = agency.ratings.length ? Math.round((agency.ratings.reduce((s, r) => s + r, 0) / agency.ratings.length) * 100) / 100 : 0;
      expect({ count: row.review_count, mean: Number(row.rating_average) }).toEqual({ count: agency.ratings.length, mean });
    }
  }

  if (m.bookings.length === 0) return;
  const rows = await db
    .selectFrom('reservations')
    .select([
      'id',
      'status',
      sql<string>`to_char(start_date, 'YYYY-MM-DD')`.as('start'),
      sql<string>`to_char(end_date, 'YYYY-MM-DD')`.as('end'),
      sql<boolean>`deposit_paid_at IS NOT NULL`.as('paid'),
    ])
    .where(
      'id',
      'in',
      m.bookings.map((b) => b.id),
    )
    .execute();
  const byId = new Map(rows.map((row) => [row.id, row]));
  const atStripe = await Promise.all(
    m.bookings.map(async (b) => ({ intent: await stripeStandin.intent(b.intent), refunds: await stripeStandin.refunds(b.intent) })),
  );
  m.bookings.forEach((booking, i) => {
    const row = byId.get(booking.id)!;
    const stripe = atStripe[i]!;
    const refunded = stripe.refunds.reduce((sum, refund) => sum + refund.amount, 0);
    const actual = {
      status: row.status,
      start: row.start,
      end: row.end,
      paid: row.paid,
      intent: stripe.intent.status === 'requires_payment_method' && stripe.intent.last_payment_error ? 'declined' : intentStates[stripe.intent.status],
      refunds: stripe.refunds.length,
      refunded,
    };
    expect(actual, `booking ${i}`).toEqual({
      status: booking.status,
      start: booking.start,
      end: booking.end,
      paid: booking.paid,
      intent: booking.intentState,
      refunds: booking.refunds,
      refunded: booking.refunds * DEPOSIT,
    });
    // Money reconciles with Stripe: a captured deposit is held by a live booking, or refunded exactly once (or kept by the cancellation policy).
    // A captured deposit whose event is still on its way may be a cancelled booking's, unrefunded until the event arrives.
    const eventInFlight = m.inFlight.some((event) => event.booking === i);
    if (stripe.intent.status === 'succeeded' && !eventInFlight) {
      const live = (row.status === 'confirmed' || row.status === 'completed') && stripe.refunds.length === 0;
      expect(
        live || stripe.refunds.length === 1 || (booking.keptByPolicy && stripe.refunds.length === 0),
        `captured deposit of booking ${i} (${row.status}, ${stripe.refunds.length} refunds)`,
      ).toBe(true);
    } else if (stripe.intent.status !== 'succeeded') expect(stripe.refunds.length, `refunds of an uncaptured intent, booking ${i}`).toBe(0);
  });
}

/** Checks the invariants after each command (fast-check runs commands one after another). */
function checked(command: Cmd): Cmd {
  return {
    check: (m) => command.check(m),
    run: async (m, r) => {
      await command.run(m, r);
      await checkInvariants(m);
    },
    toString: () => command.toString(),
  };
}

// ---------------------------------------------------------------- arbitraries

const index = fc.oneof(fc.constant(0), fc.constant(1), fc.nat({ max: 20 }));
/** Days ahead of today (Bangkok): today (a rental under way: no customer cancel, completion allowed), inside 48 h (no refund), beyond. */
const startIn = fc.constantFrom(0, 0, 0, 1, 2, 3, 4, 6);
const length = fc.integer({ min: 0, max: 2 });
const mostlyPublished = fc.constantFrom(true, true, true, false);
const agencyTarget = fc.constantFrom('confirmed' as const, 'confirmed' as const, 'completed' as const, 'completed' as const, 'cancelled' as const);

/** One weighted choice per step: booking, paying and moving bookings along are the point; cars and accounts only feed them. */
const command = fc
  .oneof(
    { weight: 1, arbitrary: fc.constant(new RegisterCustomer()) },
    { weight: 1, arbitrary: fc.constant(new RegisterAgency()) },
    { weight: 1, arbitrary: fc.tuple(index, mostlyPublished).map(([agency, published]) => new CreateCar(agency, published)) },
    { weight: 1, arbitrary: fc.tuple(index, mostlyPublished).map(([car, published]) => new SetPublished(car, published)) },
    { weight: 2, arbitrary: fc.tuple(index, startIn, length).map(([car, start, days]) => new Block(car, start, days)) },
    { weight: 8, arbitrary: fc.tuple(index, index, startIn, length).map(([customer, car, start, days]) => new Book(customer, car, start, days)) },
    { weight: 3, arbitrary: fc.tuple(index, fc.option(fc.record({ startIn, length }), { nil: null })).map(([key, other]) => new BookAgain(key, other)) },
    { weight: 5, arbitrary: fc.tuple(index, fc.boolean()).map(([booking, targeted]) => new Pay(booking, targeted)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(index, fc.constantFrom('succeeded' as const, 'succeeded' as const, 'declined' as const, 'canceled' as const))
        .map(([booking, to]) => new MoveAtStripeOnly(booking, to)),
    },
    { weight: 3, arbitrary: index.map((event) => new DeliverLate(event)) },
    {
      weight: 2,
      arbitrary: fc.tuple(index, fc.constantFrom('declined' as const, 'canceled' as const)).map(([booking, how]) => new PaymentFails(booking, how)),
    },
    { weight: 3, arbitrary: index.map((event) => new ReplayEvent(event)) },
    { weight: 2, arbitrary: index.map((booking) => new Expire(booking)) },
    { weight: 3, arbitrary: fc.tuple(index, fc.boolean()).map(([booking, targeted]) => new CustomerCancel(booking, targeted)) },
    { weight: 6, arbitrary: fc.tuple(index, agencyTarget, fc.boolean()).map(([booking, to, targeted]) => new AgencySetStatus(booking, to, targeted)) },
    {
      weight: 3,
      arbitrary: fc.tuple(index, fc.integer({ min: 1, max: 5 }), fc.boolean()).map(([booking, rating, targeted]) => new Review(booking, rating, targeted)),
    },
  )
  .map(checked);

/** Each run starts from an agency with two published cars and two customers, so short sequences reach deep states. */
async function freshWorld(): Promise<{ model: Model; real: Real }> {
  const [agency, first, second] = await Promise.all([createAgencyAdmin(), createCustomer(), createCustomer()]);
  const cars = await Promise.all(
    [1, 2].map(() => api.post('/agency/cars/', carBody({ is_published: true, deposit_amount: DEPOSIT }), { token: agency.token })),
  );
  for (const car of cars) expectStatus(car, 201, 'create car');
  return {
    model: {
      customers: [first, second].map((user) => ({ user, created: 0 })),
      agencies: [{ user: agency, ratings: [] }],
      cars: cars.map((car) => ({ id: car.body.id as string, agency: 0, published: true })),
      blocks: [],
      bookings: [],
      keys: [],
      events: [],
      inFlight: [],
    },
    real: {},
  };
}

async function runCommands(list: Cmd[]): Promise<void> {
  saw(`(run of ${list.length} commands)`);
  await fc.asyncModelRun(freshWorld, list);
}

const numRuns = Number(process.env.FC_RUNS ?? 15);
const seed = Number(process.env.FC_SEED ?? 20261203);

/** Runs one fixed sequence through the same model and invariants, and checks it took the paths it is about. */
async function scenario(list: Cmd[], mustReach: RegExp[]): Promise<void> {
  seen.clear();
  await fc.asyncModelRun(freshWorld, list.map(checked));
  const missed = mustReach.filter((path) => ![...seen.keys()].some((label) => path.test(label)));
  expect(missed, `paths not reached; seen: ${[...seen.keys()].join(' | ')}`).toEqual([]);
}

describe('the booking API against its model', () => {
  // Fixed sequences first: the deep paths a short random run may not reach with the CI seed.
  it('a paid rental completed early is reviewed once, the agency rating follows, and the days after today are free again', async () => {
    await scenario(
      [
        new Book(0, 0, 0, 2),
        new Pay(0, false),
        new AgencySetStatus(0, 'completed', false),
        new Review(0, 4, false),
        new Review(0, 5, false),
        new Book(1, 0, 1, 1),
      ],
      [/^agency confirmed → completed → 200/, /^review of a completed, paid booking → 201/, /^review of a completed, paid, reviewed booking → 409/],
    );
  });

  it('a payment that arrives after its hold expired or was cancelled is refunded once; replayed events change nothing', async () => {
    await scenario(
      [
        new Book(0, 0, 3, 0),
        new MoveAtStripeOnly(0, 'succeeded'),
        new Expire(0),
        new Book(1, 1, 4, 0),
        new MoveAtStripeOnly(0, 'succeeded'),
        new CustomerCancel(0, false),
        new DeliverLate(0),
        new DeliverLate(0),
        new ReplayEvent(0),
        new ReplayEvent(1),
        new Book(1, 0, 3, 0), // the expired hold's dates are free
      ],
      [/^late event, intent succeeded, booking expired → 200/, /^late event, intent succeeded, booking cancelled → 200/, /^replayed event → 200/],
    );
  });

  it('a declined card then a payment with another card: either order of the two events confirms the booking, nothing refunded', async () => {
    // The event only triggers; the intent's state at Stripe decides (docs/bookings.md, the payment state machine).
    await scenario(
      [
        new Book(0, 0, 3, 0),
        new MoveAtStripeOnly(0, 'declined'),
        new MoveAtStripeOnly(0, 'succeeded'),
        new DeliverLate(1), // the failure first
        new DeliverLate(0),
        new Book(1, 1, 3, 0),
        new MoveAtStripeOnly(0, 'declined'),
        new MoveAtStripeOnly(0, 'succeeded'),
        new DeliverLate(0), // the payment first
        new DeliverLate(0),
      ],
      [/^late event, intent succeeded, booking pending → 200/, /^late event, intent succeeded, booking confirmed → 200/],
    );
  });

  // Found by this test: the payment state machine refunded a paid, cancelled booking on any
  // later event of its intent, also when the customer had cancelled within 48 h and the policy
  // gave the deposit to the agency. Fixed: a payment recorded while the booking was live is
  // settled by its cancellation (webhook outcome already_settled).
  it('a deposit the customer forfeited by cancelling within 48 h stays with the agency when a stale event of its intent arrives', async () => {
    await scenario(
      [
        new Book(0, 0, 1, 0),
        new MoveAtStripeOnly(0, 'declined'), // the first card's failure is still on its way
        new Pay(0, false), // the second card pays
        new CustomerCancel(0, false), // less than 48 h before the start day: the deposit is kept
        new DeliverLate(0),
      ],
      [/^customer cancels confirmed paid → 200/, /^late event, intent succeeded, booking cancelled → 200/],
    );
  });

  it('hold limits: 429 beyond the unpaid holds and the hourly count, while a stored key still replays', async () => {
    await scenario(
      [
        new Book(0, 0, 3, 0),
        new Book(0, 0, 5, 0),
        new Book(0, 1, 3, 0), // a third unpaid hold
        new Pay(0, true),
        new Pay(0, true),
        new Book(0, 1, 5, 0),
        new Pay(0, true),
        new Book(0, 1, 6, 0),
        new Pay(0, true),
        new Book(0, 0, 6, 0), // a fifth booking within the hour
        new BookAgain(5, null), // the first booking's key: replayed, the limits do not apply
        new BookAgain(5, { startIn: 4, length: 0 }),
        new BookAgain(0, null), // the refused request's key: asked again, refused again
      ],
      [
        /^new booking → 429 unpaid_holds/,
        /^new booking → 429 bookings_per_hour/,
        /^a replayed Idempotency-Key → 201/,
        /^a stored Idempotency-Key with another body → 409/,
      ],
    );
  });

  it('cancellations: refund 48 h ahead, kept within 48 h, refused once started; an agency no-show cancel refunds; a declined card frees the dates', async () => {
    await scenario(
      [
        new Book(0, 0, 3, 0),
        new Pay(0, false),
        new CustomerCancel(0, false),
        new Book(1, 1, 1, 0),
        new Pay(0, false),
        new CustomerCancel(0, false),
        new Book(0, 0, 0, 0),
        new Pay(0, false),
        new CustomerCancel(0, false),
        new AgencySetStatus(0, 'cancelled', false),
        new Book(1, 0, 5, 0),
        new PaymentFails(0, 'declined'),
        new Book(0, 0, 5, 0),
      ],
      [
        /^customer cancels confirmed paid → 200/,
        /^customer cancels confirmed \(started\) → 409/,
        /^agency confirmed → cancelled → 200/,
        /^payment_intent\.payment_failed for a pending booking → 200/,
      ],
    );
  });

  it(
    'answers every random sequence of commands as the model says, and the invariants hold after each',
    async () => {
      seen.clear();
      await fc.assert(
        fc.asyncProperty(fc.commands([command], { maxCommands: 40, size: 'max' }), (list) => runCommands([...list])),
        { numRuns, seed, verbose: 1 },
      );
      if (process.env.FC_STATS)
        console.log(
          [...seen]
            .sort()
            .map(([label, n]) => `${String(n).padStart(5)}  ${label}`)
            .join('\n'),
        );
    },
    Math.max(120_000, numRuns * 10_000),
  );
});
