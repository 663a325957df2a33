import * as z from 'zod';
import type { NotificationKind } from './outbox';

/**
 * What each notification says. A row's payload is a snapshot taken when it was queued (the
 * booking's car, dates and prices as they were then), so rendering needs no database and a
 * message sent an hour later still tells what happened. Every kind has a subject, a few
 * paragraphs and a table of facts; the plain-text and HTML bodies are built from those, with
 * every value escaped in the HTML. Money is integer satang shown as THB with 2 decimals;
 * dates are calendar days (YYYY-MM-DD, whole days in Asia/Bangkok) as the API writes them.
 */

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const Satang = z.number().int().min(0);

export const BookingPayload = z.object({
  booking_id: z.uuid(),
  /** Who reads it: the customer, or the agency that rents the car out. */
  audience: z.enum(['customer', 'agency']),
  car: z.string().min(1),
  start_date: IsoDate,
  end_date: IsoDate,
  days: z.number().int().min(1),
  total_price: Satang,
  deposit_amount: Satang,
  currency: z.literal('thb'),
  pickup_address: z.string(),
  agency_name: z.string(),
  agency_phone: z.string(),
  customer_name: z.string(),
});
export type BookingPayload = z.infer<typeof BookingPayload>;

/** A refunded late deposit: told to the customer alone, with why the dates were no longer held. */
export const DepositRefundedPayload = BookingPayload.extend({
  audience: z.literal('customer'),
  /** The booking's status when the payment arrived. */
  booking_status: z.enum(['expired', 'cancelled']),
});
export type DepositRefundedPayload = z.infer<typeof DepositRefundedPayload>;

export const ReviewPayload = z.object({
  review_id: z.uuid(),
  booking_id: z.uuid(),
  agency_name: z.string(),
  rating: z.number().int().min(1).max(5),
  comment: z.string(),
  /** First name and initial, as the public listing shows it. */
  customer_name: z.string(),
});
export type ReviewPayload = z.infer<typeof ReviewPayload>;

/** A one-time code (core/users/verification.ts): the outbox holds it until it is sent, then drops it. */
const Code = z.string().regex(/^\d{6}$/);

export const EmailVerificationPayload = z.object({
  code: Code,
  full_name: z.string(),
  expires_in_minutes: z.number().int().min(1),
});
export type EmailVerificationPayload = z.infer<typeof EmailVerificationPayload>;

export const PhoneVerificationPayload = z.object({
  code: Code,
  agency_name: z.string(),
  expires_in_minutes: z.number().int().min(1),
});
export type PhoneVerificationPayload = z.infer<typeof PhoneVerificationPayload>;

/** The payload members that must not outlive the message's delivery. */
export const SECRET_PAYLOAD_MEMBERS = ['code'] as const;

export interface RenderedNotification {
  subject: string;
  text: string;
  html: string;
  /** One short line for SMS. */
  sms: string;
}

/** A row that can never be rendered (unknown kind, payload of the wrong shape): retrying will not help. */
export class UnrenderableNotification extends Error {
  override readonly name = 'UnrenderableNotification';
}

interface Content {
  subject: string;
  greeting: string;
  paragraphs: string[];
  facts: Array<[label: string, value: string]>;
}

/** 1234567 → "1,234,567" (no Intl.NumberFormat: its ICU data costs milliseconds at a cold start). */
const thousands = (whole: number) => String(whole).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

/** 150000 satang → "THB 1,500.00". Integer arithmetic: no floating-point cents. */
export function formatThb(satang: number): string {
  const sign = satang < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(satang));
  return `${sign}THB ${thousands(Math.floor(abs / 100))}.${String(abs % 100).padStart(2, '0')}`;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** '2027-01-10' → "Sun 10 Jan 2027": the calendar day itself, never shifted by a time zone. */
export function formatDate(date: string): string {
  const day = new Date(`${date}T00:00:00Z`);
  return `${WEEKDAYS[day.getUTCDay()]} ${day.getUTCDate()} ${MONTHS[day.getUTCMonth()]} ${day.getUTCFullYear()}`;
}

/** Inclusive range: "Sun 10 Jan 2027 – Tue 12 Jan 2027 (3 days)", or one day. */
export function formatRange(start: string, end: string, days: number): string {
  const span = days === 1 ? '1 day' : `${days} days`;
  return start === end ? `${formatDate(start)} (${span})` : `${formatDate(start)} – ${formatDate(end)} (${span})`;
}

const firstName = (name: string) => name.trim().split(/\s+/)[0] || 'there';

function bookingFacts(p: BookingPayload, who: 'customer' | 'agency'): Content['facts'] {
  return [
    ['Booking', p.booking_id],
    ['Vehicle', p.car],
    ['Dates', formatRange(p.start_date, p.end_date, p.days)],
    ...(who === 'agency' ? ([['Customer', p.customer_name]] as Content['facts']) : []),
    ['Total price', formatThb(p.total_price)],
    ['Deposit', formatThb(p.deposit_amount)],
    ...(who === 'customer'
      ? ([
          ['Pick-up', p.pickup_address],
          ['Agency', `${p.agency_name}, ${p.agency_phone}`],
        ] as Content['facts'])
      : []),
  ];
}

const booking = (payload: unknown) => BookingPayload.parse(payload);

const TEMPLATES: Record<NotificationKind, (payload: unknown) => Content> = {
  booking_received: (payload) => {
    const p = booking(payload);
    return {
      subject: `Booking received: ${p.car}, ${formatDate(p.start_date)}`,
      greeting: `Hello ${firstName(p.customer_name)},`,
      paragraphs: [
        p.deposit_amount > 0
          ? `Thank you for booking the ${p.car} with ${p.agency_name}. We hold these dates for you for 15 minutes: your booking is confirmed as soon as the deposit of ${formatThb(p.deposit_amount)} is paid.`
          : `Thank you for booking the ${p.car} with ${p.agency_name}. No deposit is due, so the dates are yours.`,
      ],
      facts: bookingFacts(p, 'customer'),
    };
  },
  booking_confirmed: (payload) => {
    const p = booking(payload);
    return {
      subject: `Booking confirmed: ${p.car}, ${formatDate(p.start_date)}`,
      greeting: `Hello ${firstName(p.customer_name)},`,
      paragraphs: [
        `Your booking of the ${p.car} is confirmed. ${p.agency_name} expects you on ${formatDate(p.start_date)} at ${p.pickup_address}.`,
        'Bring your driving licence and passport to the pick-up.',
      ],
      facts: bookingFacts(p, 'customer'),
    };
  },
  booking_cancelled: (payload) => {
    const p = booking(payload);
    if (p.audience === 'agency') {
      return {
        subject: `Booking cancelled: ${p.car}, ${formatDate(p.start_date)}`,
        greeting: `Hello ${p.agency_name},`,
        paragraphs: [`The booking of your ${p.car} by ${p.customer_name} is cancelled; its dates are free again.`],
        facts: bookingFacts(p, 'agency'),
      };
    }
    return {
      subject: `Booking cancelled: ${p.car}, ${formatDate(p.start_date)}`,
      greeting: `Hello ${firstName(p.customer_name)},`,
      paragraphs: [
        `Your booking of the ${p.car} with ${p.agency_name} is cancelled. Any refund of the deposit follows our cancellation policy and reaches your card within 5–10 days.`,
      ],
      facts: bookingFacts(p, 'customer'),
    };
  },
  booking_expired: (payload) => {
    const p = booking(payload);
    return {
      subject: `Booking expired: ${p.car}, ${formatDate(p.start_date)}`,
      greeting: `Hello ${firstName(p.customer_name)},`,
      paragraphs: [
        `The deposit for your booking of the ${p.car} was not paid within 15 minutes, so the hold expired and the dates were released. Nothing was charged. You are welcome to book again.`,
      ],
      facts: bookingFacts(p, 'customer'),
    };
  },
  deposit_refunded: (payload) => {
    const p = DepositRefundedPayload.parse(payload);
    const tooLate = p.booking_status === 'expired' ? 'after the 15-minute hold on your booking had expired' : 'after your booking had been cancelled';
    return {
      subject: `Deposit refunded: ${p.car}, ${formatDate(p.start_date)}`,
      greeting: `Hello ${firstName(p.customer_name)},`,
      paragraphs: [
        `Your deposit for the ${p.car} with ${p.agency_name} reached us ${tooLate}. The dates were no longer held for you, so the booking was not confirmed.`,
        `We have refunded the full deposit of ${formatThb(p.deposit_amount)} to your card. It usually reaches your account within 5–10 business days.`,
        'You need to do nothing. You are welcome to book again.',
      ],
      facts: [...bookingFacts(p, 'customer'), ['Refunded', formatThb(p.deposit_amount)]],
    };
  },
  pickup_reminder: (payload) => {
    const p = booking(payload);
    return {
      subject: `Reminder: pick up your ${p.car} tomorrow, ${formatDate(p.start_date)}`,
      greeting: `Hello ${firstName(p.customer_name)},`,
      paragraphs: [
        `Your rental starts tomorrow. ${p.agency_name} expects you at ${p.pickup_address}; call ${p.agency_phone} if your plans change.`,
        'Bring your driving licence and passport.',
      ],
      facts: bookingFacts(p, 'customer'),
    };
  },
  agency_new_booking: (payload) => {
    const p = booking(payload);
    return {
      subject: `New booking: ${p.car}, ${formatRange(p.start_date, p.end_date, p.days)}`,
      greeting: `Hello ${p.agency_name},`,
      paragraphs: [
        p.deposit_amount > 0
          ? `${p.customer_name} booked your ${p.car}. The booking is confirmed once the deposit of ${formatThb(p.deposit_amount)} is paid.`
          : `${p.customer_name} booked your ${p.car}. No deposit is due: the booking is confirmed.`,
      ],
      facts: bookingFacts(p, 'agency'),
    };
  },
  email_verification: (payload) => {
    const p = EmailVerificationPayload.parse(payload);
    return {
      subject: 'Your Phuket Rental verification code',
      greeting: `Hello ${firstName(p.full_name)},`,
      paragraphs: [
        `Your code to verify this e-mail address is ${p.code}. It is valid for ${p.expires_in_minutes} minutes.`,
        'Enter it where you signed up. Until your address is verified you can sign in, but not book or list cars.',
        'Did not sign up? Then ignore this message: an address that is never verified can be registered again by its owner after a day.',
      ],
      facts: [['Code', p.code]],
    };
  },
  phone_verification: (payload) => {
    const p = PhoneVerificationPayload.parse(payload);
    return {
      // The SMS is this subject: it must carry the code.
      subject: `Your phone verification code is ${p.code}. It is valid for ${p.expires_in_minutes} minutes.`,
      greeting: `Hello ${p.agency_name},`,
      paragraphs: [`Your code is ${p.code}, valid for ${p.expires_in_minutes} minutes. Enter it to confirm that this number receives your booking SMS.`],
      facts: [['Code', p.code]],
    };
  },
  review_received: (payload) => {
    const p = ReviewPayload.parse(payload);
    return {
      subject: `New review: ${p.rating} of 5 stars from ${p.customer_name}`,
      greeting: `Hello ${p.agency_name},`,
      paragraphs: [
        `${p.customer_name} rated their rental ${p.rating} of 5 stars.`,
        ...(p.comment ? [`“${p.comment}”`] : []),
        'You can reply once; your reply is shown under the review.',
      ],
      facts: [
        ['Booking', p.booking_id],
        ['Rating', `${'★'.repeat(p.rating)}${'☆'.repeat(5 - p.rating)} (${p.rating}/5)`],
      ],
    };
  },
};

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);

const SIGNATURE = 'Phuket Rental';

function toText(content: Content): string {
  const width = Math.max(...content.facts.map(([label]) => label.length));
  return [
    content.greeting,
    '',
    ...content.paragraphs.flatMap((paragraph) => [paragraph, '']),
    ...content.facts.map(([label, value]) => `${`${label}:`.padEnd(width + 2)}${value}`),
    '',
    `— ${SIGNATURE}`,
    '',
  ].join('\n');
}

function toHtml(content: Content): string {
  const rows = content.facts
    .map(
      ([label, value]) =>
        `<tr><th align="left" style="padding:4px 12px 4px 0">${escapeHtml(label)}</th><td style="padding:4px 0">${escapeHtml(value)}</td></tr>`,
    )
    .join('');
  return [
    '<!doctype html>',
    '<html><head><meta charset="utf-8"><title>' + escapeHtml(content.subject) + '</title></head>',
    '<body style="font-family:Helvetica,Arial,sans-serif;color:#222;line-height:1.5;max-width:600px">',
    `<p>${escapeHtml(content.greeting)}</p>`,
    ...content.paragraphs.map((paragraph) => `<p>${escapeHtml(paragraph)}</p>`),
    `<table style="border-collapse:collapse">${rows}</table>`,
    `<p style="color:#777">— ${escapeHtml(SIGNATURE)}</p>`,
    '</body></html>',
  ].join('\n');
}

/** Subject, text, HTML and SMS line of a notification; throws UnrenderableNotification if it cannot be rendered. */
export function renderNotification(kind: string, payload: unknown): RenderedNotification {
  const template = (TEMPLATES as Record<string, ((payload: unknown) => Content) | undefined>)[kind];
  if (!template) throw new UnrenderableNotification(`No template for notification kind "${kind}"`);
  let content: Content;
  try {
    content = template(payload);
  } catch (error) {
    const detail = error instanceof z.ZodError ? error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ') : String(error);
    throw new UnrenderableNotification(`The ${kind} payload is not valid: ${detail}`, { cause: error });
  }
  const subject = content.subject.replace(/[\r\n]+/g, ' ');
  const sms = `${SIGNATURE}: ${subject}`;
  return { subject, text: toText(content), html: toHtml(content), sms: sms.length > 160 ? `${sms.slice(0, 159)}…` : sms };
}
