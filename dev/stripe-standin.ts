/**
 * A local Stripe for `npm run dev`, the tests and the benchmarks: the real `stripe` SDK talks to
 * it over HTTP (functions/platform/payments.ts, STRIPE_API_URL), so the adapter that runs in AWS
 * is the code under test. It keeps PaymentIntents, their charges and refunds in memory and
 * refuses what Stripe refuses, with Stripe's status codes, error types, codes and messages:
 *
 *   POST /v1/payment_intents              create (form-encoded, as the SDK sends it)
 *   GET  /v1/payment_intents/:id          retrieve
 *   POST /v1/payment_intents/:id/cancel   only from a cancelable state
 *   POST /v1/refunds                      only of a succeeded intent with something left to refund
 *   GET  /v1/refunds?payment_intent=…     list
 *
 * Stripe's idempotency: a key replays the first answer of an executed request (success or
 * refusal) for 24 h, refuses other parameters or another endpoint (400 idempotency_error) and a
 * second request while the first is executing (409 idempotency_key_in_use). Parameter errors are
 * not stored, as at Stripe.
 *
 * Each secret key (`sk_test_…`) is its own account: its objects, call log and faults are its
 * own, so test files running in parallel on one stand-in never see each other's faults.
 *
 * The control API under /_standin/ (a prefix Stripe never uses; same Bearer key) moves intents
 * as a customer's payment would, reads them, lists and clears the calls received, and injects
 * faults: latency, a seeded error rate, "fail the next N", "hang the next N" (never processed,
 * never answered), "lose the next N" (processed, answer never sent) and a hold (a barrier:
 * requests wait before processing until released). docs/bookings.md, "The local Stripe stand-in".
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

export type IntentStatus =
  'requires_payment_method' | 'requires_confirmation' | 'requires_action' | 'processing' | 'requires_capture' | 'canceled' | 'succeeded';

export type Operation = 'payment_intents.create' | 'payment_intents.retrieve' | 'payment_intents.cancel' | 'refunds.create' | 'refunds.list';

export interface PaymentIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  amount_capturable: number;
  amount_received: number;
  automatic_payment_methods: { enabled: boolean } | null;
  canceled_at: number | null;
  cancellation_reason: string | null;
  capture_method: 'automatic';
  client_secret: string;
  confirmation_method: 'automatic';
  created: number;
  currency: string;
  customer: null;
  description: string | null;
  last_payment_error: { type: string; code: string; decline_code: string; message: string } | null;
  latest_charge: string | null;
  livemode: false;
  metadata: Record<string, string>;
  next_action: null;
  payment_method: string | null;
  payment_method_types: string[];
  receipt_email: string | null;
  status: IntentStatus;
}

export interface Refund {
  id: string;
  object: 'refund';
  amount: number;
  charge: string;
  created: number;
  currency: string;
  metadata: Record<string, string>;
  payment_intent: string;
  reason: string | null;
  status: 'succeeded';
}

interface Charge {
  id: string;
  amount: number;
  amount_refunded: number;
  status: 'succeeded' | 'failed';
}

/** One call the stand-in received on the Stripe API (control calls are not listed). */
export interface StandinCall {
  seq: number;
  at: string;
  method: string;
  path: string;
  operation: Operation | null;
  idempotencyKey: string | null;
  /**
   * The object the call was about: the id in the answer (pi_… of an intent created, replayed,
   * read or canceled, re_… of a refund), also when that answer was lost; else the path's id.
   */
  objectId?: string;
  /** The HTTP status answered; null while pending or when no answer was sent (hung, lost). */
  status: number | null;
  /**
   * ok / refused: processed, answered 2xx / 4xx; invalid: parameters refused before processing
   * (not stored under the key); replayed: an idempotent replay; conflict: the key was used with
   * other parameters or is in use; fault: an injected failure; hung: swallowed, never processed;
   * lost: processed, but the answer never reached the client; pending: still in flight.
   */
  outcome: 'pending' | 'ok' | 'refused' | 'invalid' | 'replayed' | 'conflict' | 'fault' | 'hung' | 'lost';
  /** Stripe's error code (else type) when the answer was an error. */
  error?: string;
}

export interface FailNext {
  /** An operation, or '*' for any. */
  operation: Operation | '*';
  count: number;
  /** HTTP status to answer (default 500). */
  status?: number;
  type?: string;
  code?: string;
  message?: string;
}

export interface Faults {
  /** Added to every API request before it is processed (while its idempotency key is in use). */
  latencyMs?: number;
  /** Share of API requests (0–1) answered 500 api_error before processing, drawn from a PRNG seeded with `seed`. */
  errorRate?: number;
  seed?: number;
  /** Answer the next `count` requests to `operation` with this error, before processing (not stored under the key). */
  failNext?: FailNext[];
  /** Swallow the next `count` requests: never processed, never answered; `release` resets their connections. */
  hangNext?: Array<{ operation: Operation | '*'; count: number }>;
  /** Process the next `count` requests but never answer them (the lost response); `release` resets their connections. */
  loseNext?: Array<{ operation: Operation | '*'; count: number }>;
  /** A barrier: requests (all, or these operations) wait before processing until `release`. */
  hold?: boolean | Operation[];
}

/**
 * The secret key `npm run dev` and the tests give the Stripe SDK. Any `sk_test_…` key works, and
 * each key is its own account: a test file may take its own (test/helpers/stripe.ts).
 */
export const STANDIN_SECRET_KEY = 'sk_test_local_standin';

export interface StripeStandin {
  url: string;
  stop: () => Promise<void>;
}

/** What Stripe keeps of idempotency keys, and of our intents (a dev/test process lifetime is plenty). */
const RETENTION_MS = 24 * 60 * 60 * 1000;
/** Bounds per account, so a benchmark's hundred thousand bookings keep the memory flat. */
const MAX_INTENTS = 20_000;
const MAX_IDEMPOTENCY_KEYS = 50_000;
const MAX_CALLS = 2_000;
const MAX_ACCOUNTS = 500;

const CANCELABLE: readonly IntentStatus[] = ['requires_payment_method', 'requires_capture', 'requires_confirmation', 'requires_action', 'processing'];
/** The states a customer's payment attempt can start from. */
const AWAITING_PAYMENT: readonly IntentStatus[] = ['requires_payment_method', 'requires_confirmation', 'requires_action'];

/** Stripe's smallest charge per currency, in minor units (others: 1). */
const MINIMUM_AMOUNT: Record<string, { minor: number; label: string }> = {
  thb: { minor: 1_000, label: '฿10.00 thb' },
  usd: { minor: 50, label: '$0.50 usd' },
  eur: { minor: 50, label: '€0.50 eur' },
};
const MAXIMUM_AMOUNT = 99_999_999;

const CREATE_PARAMS = new Set([
  'amount',
  'currency',
  'receipt_email',
  'description',
  'metadata',
  'automatic_payment_methods',
  'payment_method_types',
  'statement_descriptor_suffix',
  'expand',
]);

interface StripeErrorBody {
  type: 'invalid_request_error' | 'idempotency_error' | 'api_error' | 'card_error';
  message: string;
  code?: string;
  param?: string;
  doc_url?: string;
}

/** An error answer. `stored: false` for parameter errors, which Stripe never saves under the key. */
class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly body: StripeErrorBody,
    readonly stored = true,
  ) {
    super(body.message);
  }
}

const parameterMissing = (param: string) =>
  new StripeError(400, { type: 'invalid_request_error', code: 'parameter_missing', param, message: `Missing required param: ${param}.` }, false);
const parameterInvalid = (param: string, message: string, code?: string) =>
  new StripeError(400, { type: 'invalid_request_error', param, message, ...(code ? { code } : {}) }, false);
const noSuchIntent = (id: string, param = 'intent') =>
  new StripeError(404, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param,
    message: `No such payment_intent: '${id}'`,
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
  });
const unexpectedState = (message: string) =>
  new StripeError(400, {
    type: 'invalid_request_error',
    code: 'payment_intent_unexpected_state',
    message,
    doc_url: 'https://stripe.com/docs/error-codes/payment-intent-unexpected-state',
  });

interface IntentRecord {
  intent: PaymentIntent;
  charges: Charge[];
  refunds: Refund[];
  createdMs: number;
}

interface StoredRequest {
  endpoint: string;
  params: string;
  createdMs: number;
  requestId: string;
  /** Undefined while the first request is still executing. */
  answer?: { status: number; body: unknown };
}

interface Waiter {
  release(): void;
}

class Account {
  readonly intents = new Map<string, IntentRecord>();
  readonly idempotency = new Map<string, StoredRequest>();
  readonly calls: StandinCall[] = [];
  faults: Faults = {};
  random: () => number = seededRandom(1);
  /** Requests held at the barrier, waiting to be processed. */
  readonly held = new Set<Waiter>();
  /** Connections of hung and lost requests, reset by `release`. */
  readonly silent = new Set<http.ServerResponse>();
  private seq = 0;

  record(call: Omit<StandinCall, 'seq' | 'at' | 'status' | 'outcome'>): StandinCall {
    const entry: StandinCall = { seq: ++this.seq, at: new Date().toISOString(), status: null, outcome: 'pending', ...call };
    this.calls.push(entry);
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
    return entry;
  }

  setFaults(faults: Faults): void {
    this.faults = structuredClone(faults);
    this.random = seededRandom(faults.seed ?? 1);
  }

  release(): void {
    if (this.faults.hold) this.faults = { ...this.faults, hold: false };
    for (const waiter of this.held) waiter.release();
    this.held.clear();
    for (const response of this.silent) response.destroy();
    this.silent.clear();
  }

  /** Takes one from the first matching "next N" entry; true when this request is one of them. */
  take<T extends { operation: Operation | '*'; count: number }>(entries: T[] | undefined, operation: Operation): T | undefined {
    const entry = entries?.find((candidate) => candidate.count > 0 && (candidate.operation === '*' || candidate.operation === operation));
    if (entry) entry.count -= 1;
    return entry;
  }

  sweep(nowMs: number): void {
    dropOldest(this.intents, MAX_INTENTS, (record) => nowMs - record.createdMs > RETENTION_MS);
    dropOldest(this.idempotency, MAX_IDEMPOTENCY_KEYS, (stored) => stored.answer !== undefined && nowMs - stored.createdMs > RETENTION_MS);
  }
}

/** Maps iterate in insertion order: drops expired entries from the front, then any beyond the cap. */
function dropOldest<V>(map: Map<string, V>, max: number, expired: (value: V) => boolean): void {
  for (const [key, value] of map) {
    if (map.size > max || expired(value)) map.delete(key);
    else break;
  }
}

/** mulberry32: a small deterministic PRNG, so an error rate with a seed fails the same requests every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const newId = (prefix: string) => `${prefix}_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;
const unixNow = () => Math.floor(Date.now() / 1000);

/**
 * Decodes a form body the way Stripe reads the SDK's encoding: `metadata[booking_id]=…`
 * nests, `expand[]=…` appends.
 */
export function parseForm(body: string): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [rawKey, value] of new URLSearchParams(body)) {
    const [head, ...rest] = rawKey.split('[');
    const path = [head!, ...rest.map((segment) => segment.replace(/]$/, ''))];
    let node: Record<string, unknown> | unknown[] = result;
    for (let index = 0; index < path.length; index += 1) {
      const segment = path[index]!;
      const last = index === path.length - 1;
      if (Array.isArray(node)) {
        if (last) node.push(value);
        else {
          const child = {};
          node.push(child);
          node = child;
        }
        continue;
      }
      if (last) node[segment] = value;
      else {
        const nextIsArray = path[index + 1] === '';
        node[segment] ??= nextIsArray ? [] : {};
        node = node[segment] as Record<string, unknown> | unknown[];
      }
    }
  }
  return result;
}

/** The same parameters in any order compare equal. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function integerParam(params: Record<string, unknown>, name: string, required: boolean): number | undefined {
  const raw = params[name];
  if (raw === undefined) {
    if (required) throw parameterMissing(name);
    return undefined;
  }
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw)) throw parameterInvalid(name, `Invalid integer: ${JSON.stringify(raw)}`, 'parameter_invalid_integer');
  return Number(raw);
}

function stringParam(params: Record<string, unknown>, name: string): string | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string') throw parameterInvalid(name, `Invalid string: ${JSON.stringify(raw)}`);
  return raw;
}

function refuseUnknown(params: Record<string, unknown>, known: ReadonlySet<string>): void {
  const unknown = Object.keys(params).find((name) => !known.has(name));
  if (unknown) throw parameterInvalid(unknown, `Received unknown parameter: ${unknown}`, 'parameter_unknown');
}

function createIntent(account: Account, params: Record<string, unknown>): PaymentIntent {
  refuseUnknown(params, CREATE_PARAMS);
  const amount = integerParam(params, 'amount', true)!;
  const currencyRaw = stringParam(params, 'currency');
  if (currencyRaw === undefined) throw parameterMissing('currency');
  const currency = currencyRaw.toLowerCase();
  if (!/^[a-z]{3}$/.test(currency)) throw parameterInvalid('currency', `Invalid currency: ${currencyRaw}.`);
  const minimum = MINIMUM_AMOUNT[currency] ?? { minor: 1, label: `1 ${currency}` };
  if (amount < minimum.minor) throw parameterInvalid('amount', `Amount must be at least ${minimum.label}`, 'amount_too_small');
  if (amount > MAXIMUM_AMOUNT) throw parameterInvalid('amount', `Amount must be no more than ${MAXIMUM_AMOUNT} ${currency}`, 'amount_too_large');
  const receiptEmail = stringParam(params, 'receipt_email');
  if (receiptEmail !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(receiptEmail)) {
    throw parameterInvalid('receipt_email', `Invalid email address: ${receiptEmail}`, 'email_invalid');
  }
  const metadata = params.metadata ?? {};
  if (typeof metadata !== 'object' || Array.isArray(metadata) || Object.values(metadata).some((value) => typeof value !== 'string')) {
    throw parameterInvalid('metadata', 'Invalid object');
  }
  const automatic = params.automatic_payment_methods as { enabled?: string } | undefined;
  if (automatic !== undefined && !['true', 'false'].includes(String(automatic.enabled))) {
    throw parameterInvalid('automatic_payment_methods[enabled]', `Invalid boolean: ${String(automatic.enabled)}`);
  }
  const id = newId('pi');
  const intent: PaymentIntent = {
    id,
    object: 'payment_intent',
    amount,
    amount_capturable: 0,
    amount_received: 0,
    automatic_payment_methods: automatic ? { enabled: automatic.enabled === 'true' } : null,
    canceled_at: null,
    cancellation_reason: null,
    capture_method: 'automatic',
    client_secret: `${id}_secret_${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`,
    confirmation_method: 'automatic',
    created: unixNow(),
    currency,
    customer: null,
    description: stringParam(params, 'description') ?? null,
    last_payment_error: null,
    latest_charge: null,
    livemode: false,
    metadata: metadata as Record<string, string>,
    next_action: null,
    payment_method: null,
    payment_method_types: ['card'],
    receipt_email: receiptEmail ?? null,
    status: 'requires_payment_method',
  };
  account.intents.set(id, { intent, charges: [], refunds: [], createdMs: Date.now() });
  return intent;
}

function cancelIntent(record: IntentRecord, reason: string | null): PaymentIntent {
  const { intent } = record;
  if (!CANCELABLE.includes(intent.status)) {
    throw unexpectedState(
      `You cannot cancel this PaymentIntent because it has a status of ${intent.status}. Only a PaymentIntent with one of the following statuses may be canceled: ${CANCELABLE.join(', ')}.`,
    );
  }
  intent.status = 'canceled';
  intent.canceled_at = unixNow();
  intent.cancellation_reason = reason;
  return intent;
}

function createRefund(account: Account, params: Record<string, unknown>): Refund {
  refuseUnknown(params, new Set(['payment_intent', 'amount', 'reason', 'metadata', 'expand']));
  const intentId = stringParam(params, 'payment_intent');
  if (intentId === undefined) {
    throw new StripeError(
      400,
      {
        type: 'invalid_request_error',
        code: 'parameter_missing',
        message: 'One of the following params should be provided for this request: payment_intent or charge.',
      },
      false,
    );
  }
  const amount = integerParam(params, 'amount', false);
  if (amount !== undefined && amount < 1) throw parameterInvalid('amount', 'Invalid positive integer', 'parameter_invalid_integer');
  const reason = stringParam(params, 'reason');
  if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer'].includes(reason)) {
    throw parameterInvalid('reason', `Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer`);
  }
  const record = account.intents.get(intentId);
  if (!record) throw noSuchIntent(intentId, 'payment_intent');
  const charge = record.charges.find((candidate) => candidate.id === record.intent.latest_charge);
  if (record.intent.status !== 'succeeded' || charge?.status !== 'succeeded') {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      param: 'payment_intent',
      message: `This PaymentIntent (${intentId}) does not have a successful charge to refund.`,
    });
  }
  const left = charge.amount - charge.amount_refunded;
  if (left === 0) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      code: 'charge_already_refunded',
      message: `Charge ${charge.id} has already been refunded.`,
      doc_url: 'https://stripe.com/docs/error-codes/charge-already-refunded',
    });
  }
  if (amount !== undefined && amount > left) {
    throw new StripeError(400, {
      type: 'invalid_request_error',
      code: 'amount_too_large',
      param: 'amount',
      message: `Refund amount (${amount}) is greater than unrefunded amount on charge (${left})`,
    });
  }
  const refund: Refund = {
    id: newId('re'),
    object: 'refund',
    amount: amount ?? left,
    charge: charge.id,
    created: unixNow(),
    currency: record.intent.currency,
    metadata: (params.metadata as Record<string, string> | undefined) ?? {},
    payment_intent: intentId,
    reason: reason ?? null,
    status: 'succeeded',
  };
  charge.amount_refunded += refund.amount;
  record.refunds.push(refund);
  return refund;
}

/** The control API's moves, each allowed only from the states Stripe makes it from. */
const MOVES = {
  processing: { from: AWAITING_PAYMENT },
  succeed: { from: [...AWAITING_PAYMENT, 'processing', 'requires_capture'] as IntentStatus[] },
  fail: { from: [...AWAITING_PAYMENT, 'processing'] as IntentStatus[] },
  cancel: { from: CANCELABLE },
} as const;
type Move = keyof typeof MOVES;

function moveIntent(record: IntentRecord, move: Move, body: { reason?: string }): PaymentIntent {
  const { intent } = record;
  if (!MOVES[move].from.includes(intent.status)) {
    throw unexpectedState(
      `Stripe never moves a PaymentIntent from ${intent.status} by "${move}" (only from: ${MOVES[move].from.join(', ')}); ${intent.id} stays ${intent.status}.`,
    );
  }
  if (move === 'cancel') return cancelIntent(record, body.reason ?? null);
  if (move === 'processing') {
    intent.status = 'processing';
    intent.payment_method = intent.payment_method ?? newId('pm');
    return intent;
  }
  const charge: Charge = { id: newId('ch'), amount: intent.amount, amount_refunded: 0, status: move === 'succeed' ? 'succeeded' : 'failed' };
  record.charges.push(charge);
  intent.latest_charge = charge.id;
  intent.payment_method = intent.payment_method ?? newId('pm');
  if (move === 'succeed') {
    intent.status = 'succeeded';
    intent.amount_received = intent.amount;
    intent.last_payment_error = null;
  } else {
    // A declined attempt: the intent waits for another payment method, as at Stripe.
    intent.status = 'requires_payment_method';
    intent.payment_method = null;
    intent.last_payment_error = { type: 'card_error', code: 'card_declined', decline_code: 'generic_decline', message: 'Your card was declined.' };
  }
  return intent;
}

interface Route {
  operation: Operation;
  /** Path parameters, e.g. the intent id. */
  id?: string;
}

function matchApiRoute(method: string, path: string): Route | undefined {
  const parts = path.replace(/\/+$/, '').split('/').slice(1);
  if (parts[0] !== 'v1') return undefined;
  if (parts[1] === 'payment_intents') {
    if (parts.length === 2 && method === 'POST') return { operation: 'payment_intents.create' };
    if (parts.length === 3 && method === 'GET') return { operation: 'payment_intents.retrieve', id: parts[2] };
    if (parts.length === 4 && parts[3] === 'cancel' && method === 'POST') return { operation: 'payment_intents.cancel', id: parts[2] };
  }
  if (parts[1] === 'refunds' && parts.length === 2) {
    if (method === 'POST') return { operation: 'refunds.create' };
    if (method === 'GET') return { operation: 'refunds.list' };
  }
  return undefined;
}

function execute(account: Account, route: Route, params: Record<string, unknown>): { status: number; body: unknown } {
  switch (route.operation) {
    case 'payment_intents.create':
      return { status: 200, body: createIntent(account, params) };
    case 'payment_intents.retrieve': {
      const record = account.intents.get(route.id!);
      if (!record) throw noSuchIntent(route.id!);
      return { status: 200, body: record.intent };
    }
    case 'payment_intents.cancel': {
      refuseUnknown(params, new Set(['cancellation_reason', 'expand']));
      const reason = stringParam(params, 'cancellation_reason');
      if (reason !== undefined && !['duplicate', 'fraudulent', 'requested_by_customer', 'abandoned'].includes(reason)) {
        throw parameterInvalid('cancellation_reason', 'Invalid cancellation_reason: must be one of duplicate, fraudulent, requested_by_customer, or abandoned');
      }
      const record = account.intents.get(route.id!);
      if (!record) throw noSuchIntent(route.id!);
      return { status: 200, body: cancelIntent(record, reason ?? null) };
    }
    case 'refunds.create':
      return { status: 200, body: createRefund(account, params) };
    case 'refunds.list': {
      const intentId = stringParam(params, 'payment_intent');
      const refunds = intentId ? (account.intents.get(intentId)?.refunds ?? []) : [...account.intents.values()].flatMap((record) => record.refunds);
      return { status: 200, body: { object: 'list', data: [...refunds].reverse(), has_more: false, url: '/v1/refunds' } };
    }
  }
}

function readBody(request: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.destroyed || response.writableEnded) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The secret key of the request (Bearer, or Basic as `curl -u sk_test_…:` sends it). */
function apiKey(request: http.IncomingMessage): string | undefined {
  const header = request.headers.authorization ?? '';
  const bearer = /^Bearer\s+(\S+)$/i.exec(header);
  if (bearer) return bearer[1];
  const basic = /^Basic\s+(\S+)$/i.exec(header);
  if (basic) return Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')[0] || undefined;
  return undefined;
}

/** What survives a restart: the objects and answered idempotency keys (not calls, faults or waiters). */
interface SavedState {
  accounts: Array<{ key: string; intents: IntentRecord[]; idempotency: Array<[string, StoredRequest]> }>;
}

function loadState(file: string, accounts: Map<string, Account>): void {
  if (!existsSync(file)) return;
  try {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as SavedState;
    for (const { key, intents, idempotency } of saved.accounts) {
      const account = new Account();
      for (const record of intents) account.intents.set(record.intent.id, record);
      for (const [idempotencyKey, stored] of idempotency) account.idempotency.set(idempotencyKey, stored);
      account.sweep(Date.now());
      accounts.set(key, account);
    }
  } catch (error) {
    console.error(`stripe stand-in: ignoring unreadable state ${file}: ${String(error)}`);
  }
}

function saveState(file: string, accounts: Map<string, Account>): void {
  const state: SavedState = {
    accounts: [...accounts].map(([key, account]) => ({
      key,
      intents: [...account.intents.values()],
      idempotency: [...account.idempotency].filter(([, stored]) => stored.answer !== undefined),
    })),
  };
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify(state));
  renameSync(`${file}.tmp`, file);
}

/**
 * Starts the stand-in. With `stateFile` (npm run dev: in its data directory) the intents survive
 * a restart, as the bookings that name them do in the dev database: it is saved every minute and
 * on stop, and read at start.
 */
export async function startStripeStandin(options: { port: number; host?: string; stateFile?: string }): Promise<StripeStandin> {
  const host = options.host ?? '127.0.0.1';
  const accounts = new Map<string, Account>();
  if (options.stateFile) loadState(options.stateFile, accounts);

  function accountFor(key: string): Account {
    let account = accounts.get(key);
    if (!account) {
      account = new Account();
      accounts.set(key, account);
      if (accounts.size > MAX_ACCOUNTS) {
        const [oldest, dropped] = accounts.entries().next().value!;
        dropped.release();
        accounts.delete(oldest);
      }
    }
    return account;
  }

  /** 401 in Stripe's shape unless a test-mode secret key is presented. */
  function authenticate(request: http.IncomingMessage, response: http.ServerResponse): Account | undefined {
    const key = apiKey(request);
    if (!key) {
      send(
        response,
        401,
        {
          error: {
            type: 'invalid_request_error',
            message:
              "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See https://stripe.com/docs/api#authentication for details, or we can help at https://support.stripe.com/.",
          },
        },
        { 'www-authenticate': 'Bearer realm="Stripe"' },
      );
      return undefined;
    }
    if (!/^sk_test_\w+$/.test(key)) {
      send(response, 401, { error: { type: 'invalid_request_error', message: `Invalid API Key provided: ${key.slice(0, 8)}****${key.slice(-4)}` } });
      return undefined;
    }
    return accountFor(key);
  }

  async function handleApi(request: http.IncomingMessage, response: http.ServerResponse, url: URL, account: Account): Promise<void> {
    const method = request.method ?? 'GET';
    const route = matchApiRoute(method, url.pathname);
    const idempotencyKey = method === 'POST' ? ((request.headers['idempotency-key'] as string | undefined) ?? null) : null;
    const call = account.record({ method, path: url.pathname, operation: route?.operation ?? null, idempotencyKey });
    const requestId = newId('req');
    let clientGone = false;
    response.on('close', () => {
      if (!response.writableFinished) clientGone = true;
    });
    const noteObject = (body: unknown) => {
      const id = (body as { id?: unknown }).id;
      if (typeof id === 'string') call.objectId = id;
      else if (route?.id) call.objectId = route.id;
    };
    const finish = (outcome: StandinCall['outcome'], status: number, body: unknown, headers: Record<string, string> = {}) => {
      // The client gave up (its timeout) before the answer: whatever was processed, it never heard.
      call.outcome = clientGone ? 'lost' : outcome;
      call.status = clientGone ? null : status;
      noteObject(body);
      const error = (body as { error?: StripeErrorBody }).error;
      if (error) call.error = error.code ?? error.type;
      send(response, status, body, { 'request-id': requestId, ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}), ...headers });
    };
    if (!route) {
      finish('refused', 404, {
        error: {
          type: 'invalid_request_error',
          message: `Unrecognized request URL (${method}: ${url.pathname}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.`,
        },
      });
      return;
    }
    const body = await readBody(request);
    const params = method === 'GET' ? parseForm(url.searchParams.toString()) : parseForm(body);
    const { faults } = account;

    // Faults before Stripe processes anything: nothing is stored under the idempotency key.
    if (account.take(faults.hangNext, route.operation)) {
      call.outcome = 'hung';
      account.silent.add(response);
      response.on('close', () => account.silent.delete(response));
      return;
    }
    const failure = account.take(faults.failNext, route.operation);
    if (failure) {
      const status = failure.status ?? 500;
      finish('fault', status, {
        error: {
          type: failure.type ?? (status >= 500 ? 'api_error' : 'invalid_request_error'),
          message: failure.message ?? (status >= 500 ? 'An unknown error occurred' : 'The stand-in was told to fail this request.'),
          ...(failure.code ? { code: failure.code } : {}),
        },
      });
      return;
    }
    if (faults.errorRate && account.random() < faults.errorRate) {
      finish('fault', 500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
      return;
    }

    // Stripe's idempotency layer.
    const endpoint = `${method} ${url.pathname}`;
    const paramsKey = canonical(params);
    const stored = idempotencyKey ? account.idempotency.get(idempotencyKey) : undefined;
    if (idempotencyKey && stored) {
      if (stored.endpoint !== endpoint) {
        finish('conflict', 400, {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used for the same endpoint they were first used for ('${stored.endpoint}' vs '${endpoint}'). Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          },
        });
      } else if (stored.params !== paramsKey) {
        finish('conflict', 400, {
          error: {
            type: 'idempotency_error',
            message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${idempotencyKey}' if you meant to execute a different request.`,
          },
        });
      } else if (!stored.answer) {
        finish('conflict', 409, {
          error: {
            type: 'idempotency_error',
            code: 'idempotency_key_in_use',
            message: `There is currently another in-progress request using this Idempotent Key (that probably means you submitted twice, and the other request is still going through): ${idempotencyKey}. Please try again later.`,
          },
        });
      } else {
        finish('replayed', stored.answer.status, stored.answer.body, { 'idempotent-replayed': 'true', 'original-request': stored.requestId });
      }
      return;
    }

    let entry: StoredRequest | undefined;
    if (idempotencyKey) {
      entry = { endpoint, params: paramsKey, createdMs: Date.now(), requestId };
      account.idempotency.set(idempotencyKey, entry);
    }
    try {
      if (faults.latencyMs) await sleep(faults.latencyMs);
      const hold = account.faults.hold;
      if (hold === true || (Array.isArray(hold) && hold.includes(route.operation))) {
        await new Promise<void>((resolve) => account.held.add({ release: resolve }));
      }
      let answer: { status: number; body: unknown };
      try {
        answer = execute(account, route, params);
      } catch (error) {
        if (!(error instanceof StripeError)) throw error;
        if (!error.stored) {
          if (idempotencyKey) account.idempotency.delete(idempotencyKey);
          finish('invalid', error.status, { error: error.body });
          return;
        }
        answer = { status: error.status, body: { error: error.body } };
      }
      if (entry) entry.answer = answer;
      if (account.take(account.faults.loseNext, route.operation)) {
        call.outcome = 'lost';
        noteObject(answer.body);
        account.silent.add(response);
        response.on('close', () => account.silent.delete(response));
        return;
      }
      finish(answer.status < 400 ? 'ok' : 'refused', answer.status, answer.body);
    } catch (error) {
      if (idempotencyKey) account.idempotency.delete(idempotencyKey);
      throw error;
    }
  }

  async function handleControl(request: http.IncomingMessage, response: http.ServerResponse, url: URL, account: Account): Promise<void> {
    const method = request.method ?? 'GET';
    const parts = url.pathname.replace(/\/+$/, '').split('/').slice(2);
    const text = await readBody(request);
    let body: Record<string, unknown> = {};
    if (text) {
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        send(response, 400, { error: { type: 'invalid_request_error', message: 'The control API takes JSON bodies.' } });
        return;
      }
    }
    const [resource, id, action] = parts;
    if (resource === 'intents' && id) {
      const record = account.intents.get(id);
      if (!record) {
        const missing = noSuchIntent(id);
        send(response, missing.status, { error: missing.body });
        return;
      }
      if (method === 'GET' && !action) return send(response, 200, record.intent);
      if (method === 'GET' && action === 'refunds') return send(response, 200, { object: 'list', data: record.refunds });
      if (method === 'POST' && action && action in MOVES) {
        try {
          return send(response, 200, moveIntent(record, action as Move, body));
        } catch (error) {
          if (!(error instanceof StripeError)) throw error;
          return send(response, error.status, { error: error.body });
        }
      }
    }
    if (resource === 'calls' && !id) {
      if (method === 'GET') return send(response, 200, { data: account.calls });
      if (method === 'DELETE') {
        account.calls.length = 0;
        return send(response, 200, { data: [] });
      }
    }
    if (resource === 'faults' && !id) {
      if (method === 'GET') return send(response, 200, account.faults);
      if (method === 'PUT') {
        account.setFaults(body);
        return send(response, 200, account.faults);
      }
      if (method === 'DELETE') {
        account.setFaults({});
        account.release();
        return send(response, 200, account.faults);
      }
    }
    if (resource === 'release' && !id && method === 'POST') {
      const released = { held: account.held.size, silent: account.silent.size };
      account.release();
      return send(response, 200, released);
    }
    send(response, 404, { error: { type: 'invalid_request_error', message: `No control route ${method} ${url.pathname}` } });
  }

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://standin');
    const account = authenticate(request, response);
    if (!account) return;
    const handle = url.pathname.startsWith('/_standin/') ? handleControl : handleApi;
    handle(request, response, url, account).catch((error: unknown) => {
      console.error('stripe stand-in:', error);
      send(response, 500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
    });
  });
  const sweeper = setInterval(() => {
    for (const account of accounts.values()) account.sweep(Date.now());
    if (options.stateFile) saveState(options.stateFile, accounts);
  }, 60_000);
  sweeper.unref();

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  return {
    url: `http://${host}:${port}`,
    stop: async () => {
      clearInterval(sweeper);
      for (const account of accounts.values()) account.release();
      if (options.stateFile) saveState(options.stateFile, accounts);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// `tsx dev/stripe-standin.ts [port]`: the stand-in on its own.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const standin = await startStripeStandin({ port: Number(process.argv[2] ?? process.env.DEV_STRIPE_PORT ?? 12111) });
  console.log(`Stripe stand-in on ${standin.url} (any sk_test_… key)`);
}
