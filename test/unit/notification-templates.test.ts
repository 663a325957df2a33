import { describe, expect, it } from 'vitest';
import { bookingNotifications, NOTIFICATION_KINDS, smsNumber, type BookingNotice } from '#core/notifications/outbox';
import { formatDate, formatRange, formatThb, renderNotification, UnrenderableNotification } from '#core/notifications/templates';

const booking = {
  booking_id: '6f1c2a4e-9d3b-4c1a-8e7f-0a1b2c3d4e5f',
  audience: 'customer',
  car: 'Toyota Yaris Ativ',
  start_date: '2027-01-10',
  end_date: '2027-01-12',
  days: 3,
  total_price: 276_050,
  deposit_amount: 500_000,
  currency: 'thb',
  pickup_address: 'Thawewong Rd, Patong',
  agency_name: 'Patong Car Rent',
  agency_phone: '+66 76 000 000',
  customer_name: 'Anna Müller',
};
const review = {
  review_id: '0b6f2f7e-5a43-4d53-9b9c-2f3f4b5c6d7e',
  booking_id: booking.booking_id,
  agency_name: 'Patong Car Rent',
  rating: 4,
  comment: 'Clean car, friendly staff',
  customer_name: 'Anna M.',
};
const refunded = { ...booking, booking_status: 'expired' };
const emailCode = { code: '042917', full_name: 'Anna Müller', expires_in_minutes: 30 };
const phoneCode = { code: '042917', agency_name: 'Patong Car Rent', expires_in_minutes: 30 };
const VERIFICATION_KINDS: readonly string[] = ['email_verification', 'phone_verification'];
const payloadOf = (kind: string) =>
  kind === 'review_received'
    ? review
    : kind === 'agency_new_booking'
      ? { ...booking, audience: 'agency' }
      : kind === 'deposit_refunded'
        ? refunded
        : kind === 'email_verification'
          ? emailCode
          : kind === 'phone_verification'
            ? phoneCode
            : booking;

describe('money and dates in notifications', () => {
  it('shows satang as THB with two decimals and thousands separators, without floating-point drift', () => {
    expect(formatThb(150_000)).toBe('THB 1,500.00');
    expect(formatThb(276_050)).toBe('THB 2,760.50');
    expect(formatThb(5)).toBe('THB 0.05');
    expect(formatThb(0)).toBe('THB 0.00');
    expect(formatThb(123_456_789_01)).toBe('THB 123,456,789.01');
    expect(formatThb(29)).toBe('THB 0.29'); // 0.29 * 100 is 28.999… in floating point
  });

  it('shows a calendar day as itself, with its weekday, whatever the time zone of the process', () => {
    expect(formatDate('2027-01-10')).toBe('Sun 10 Jan 2027');
    expect(formatDate('2028-02-29')).toBe('Tue 29 Feb 2028');
    expect(formatDate('2026-12-31')).toBe('Thu 31 Dec 2026');
  });

  it('shows an inclusive range with its day count, and a one-day rental as one day', () => {
    expect(formatRange('2027-01-10', '2027-01-12', 3)).toBe('Sun 10 Jan 2027 – Tue 12 Jan 2027 (3 days)');
    expect(formatRange('2027-01-10', '2027-01-10', 1)).toBe('Sun 10 Jan 2027 (1 day)');
  });
});

describe('renderNotification', () => {
  it.each(NOTIFICATION_KINDS)('renders %s with a subject, a text and an HTML body and a short SMS line', (kind) => {
    const message = renderNotification(kind, payloadOf(kind));
    expect(message.subject.length).toBeGreaterThan(10);
    expect(message.subject).not.toMatch(/[\r\n]/);
    expect(message.text).toContain('Phuket Rental');
    expect(message.html).toMatch(/^<!doctype html>/);
    expect(message.sms.length).toBeLessThanOrEqual(160);
    if (kind === 'review_received') {
      expect(message.text).toContain('Clean car, friendly staff');
      expect(message.subject).toBe('New review: 4 of 5 stars from Anna M.');
    } else if (VERIFICATION_KINDS.includes(kind)) {
      expect(message.text).toContain('042917');
      expect(message.text).toContain('30 minutes');
    } else {
      expect(message.text).toContain('THB 2,760.50');
      expect(message.text).toContain('THB 5,000.00');
      expect(message.text).toContain('Sun 10 Jan 2027 – Tue 12 Jan 2027 (3 days)');
      expect(message.html).toContain('THB 2,760.50');
    }
  });

  it('tells the customer where to pick up, and the agency who booked', () => {
    const confirmed = renderNotification('booking_confirmed', booking);
    expect(confirmed.subject).toBe('Booking confirmed: Toyota Yaris Ativ, Sun 10 Jan 2027');
    expect(confirmed.text).toMatch(/^Hello Anna,/);
    expect(confirmed.text).toContain('Thawewong Rd, Patong');
    const forAgency = renderNotification('agency_new_booking', { ...booking, audience: 'agency' });
    expect(forAgency.text).toContain('Customer:');
    expect(forAgency.text).toContain('Anna Müller');
    const cancelledForAgency = renderNotification('booking_cancelled', { ...booking, audience: 'agency' });
    expect(cancelledForAgency.text).toMatch(/^Hello Patong Car Rent,/);
    expect(renderNotification('booking_cancelled', booking).text).toMatch(/^Hello Anna,/);
  });

  it('asks for the deposit only when there is one', () => {
    expect(renderNotification('booking_received', booking).text).toContain('confirmed as soon as the deposit of THB 5,000.00 is paid');
    const free = renderNotification('booking_received', { ...booking, deposit_amount: 0 });
    expect(free.text).not.toContain('as soon as the deposit');
    expect(free.text).toContain('No deposit is due');
    expect(renderNotification('agency_new_booking', { ...booking, audience: 'agency', deposit_amount: 0 }).text).toContain('the booking is confirmed');
  });

  it('tells the customer a late deposit is refunded in full to the card within 5–10 business days, and why the dates were no longer held', () => {
    const expired = renderNotification('deposit_refunded', refunded);
    expect(expired.subject).toBe('Deposit refunded: Toyota Yaris Ativ, Sun 10 Jan 2027');
    expect(expired.text).toMatch(/^Hello Anna,/);
    expect(expired.text).toContain('after the 15-minute hold on your booking had expired');
    expect(expired.text).toContain('The dates were no longer held for you');
    expect(expired.text).toContain('We have refunded the full deposit of THB 5,000.00 to your card');
    expect(expired.text).toContain('within 5–10 business days');
    expect(expired.text).toContain('You need to do nothing. You are welcome to book again.');
    expect(expired.html).toContain('THB 5,000.00');

    const cancelled = renderNotification('deposit_refunded', { ...refunded, booking_status: 'cancelled' });
    expect(cancelled.text).toContain('after your booking had been cancelled');
    expect(cancelled.text).not.toContain('15-minute hold');
  });

  it('renders deposit_refunded for the customer only: an agency audience, or no reason the dates were released, is unrenderable', () => {
    expect(() => renderNotification('deposit_refunded', { ...refunded, audience: 'agency' })).toThrow(UnrenderableNotification);
    expect(() => renderNotification('deposit_refunded', { ...refunded, audience: 'agency' })).toThrow(/audience/);
    expect(() => renderNotification('deposit_refunded', booking)).toThrow(/booking_status/);
  });

  it('escapes what customers and agencies wrote in the HTML, and keeps it readable in the text', () => {
    const hostile = renderNotification('review_received', { ...review, comment: '<script>alert("x")</script> & <b>bold</b>' });
    expect(hostile.html).not.toContain('<script>');
    expect(hostile.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;');
    expect(hostile.text).toContain('<script>alert("x")</script> & <b>bold</b>');
    const car = renderNotification('booking_received', { ...booking, car: 'Mini <img src=x onerror=alert(1)>' });
    expect(car.html).not.toContain('<img');
  });

  it('puts the verification code in the e-mail text (not its subject) and in the SMS line itself', () => {
    const email = renderNotification('email_verification', emailCode);
    expect(email.text).toMatch(/^Hello Anna,/);
    expect(email.text.match(/\b\d{6}\b/g)).toEqual(['042917', '042917']);
    expect(email.subject).not.toContain('042917');
    expect(renderNotification('phone_verification', phoneCode).sms).toBe('Phuket Rental: Your phone verification code is 042917. It is valid for 30 minutes.');
    expect(() => renderNotification('email_verification', { ...emailCode, code: '12345' })).toThrow(/code/);
  });

  it('refuses an unknown kind and a payload of the wrong shape as unrenderable', () => {
    expect(() => renderNotification('birthday_greeting', {})).toThrow(UnrenderableNotification);
    expect(() => renderNotification('booking_confirmed', { ...booking, total_price: '2760.50' })).toThrow(/total_price/);
    expect(() => renderNotification('review_received', { ...review, rating: 6 })).toThrow(UnrenderableNotification);
  });
});

describe('smsNumber', () => {
  it('reads agency phones as E.164, Thai numbers without a country code included', () => {
    expect(smsNumber('+66 81 234 5678')).toBe('+66812345678');
    expect(smsNumber('081-234-5678')).toBe('+66812345678');
    expect(smsNumber('(076) 123 456')).toBe('+6676123456');
    expect(smsNumber('0049 30 1234567')).toBe('+49301234567');
    expect(smsNumber('12')).toBeNull();
  });
});

describe('bookingNotifications', () => {
  const { audience: _audience, ...facts } = booking;
  const notice: BookingNotice = {
    reservationId: booking.booking_id,
    customerEmail: 'anna@example.com',
    agencyEmail: 'admin@patong.example',
    agencySmsNumber: '+6676000000',
    status: 'expired',
    facts: { ...facts, currency: 'thb' },
  };

  it('an unpaid hold (created) texts nobody; the payment (paid) texts the agency, only at a number it verified', () => {
    expect(bookingNotifications(notice, 'created').map((row) => [row.kind, row.channel ?? 'email', row.recipient])).toEqual([
      ['booking_received', 'email', 'anna@example.com'],
      ['agency_new_booking', 'email', 'admin@patong.example'],
    ]);
    expect(bookingNotifications(notice, 'paid').map((row) => [row.kind, row.channel ?? 'email', row.recipient])).toEqual([
      ['booking_confirmed', 'email', 'anna@example.com'],
      ['agency_new_booking', 'sms', '+6676000000'],
    ]);
    // No verified number (loadBookingNotices leaves it null): the customer's email alone.
    expect(bookingNotifications({ ...notice, agencySmsNumber: null }, 'paid').map((row) => row.kind)).toEqual(['booking_confirmed']);
    // The agency confirming without a payment texts nobody either.
    expect(bookingNotifications(notice, 'confirmed').map((row) => row.channel ?? 'email')).toEqual(['email']);
  });

  it('a refunded deposit queues one deposit_refunded email to the customer and nothing to the agency, once per booking', () => {
    const rows = bookingNotifications(notice, 'refunded');
    expect(rows).toEqual([
      {
        kind: 'deposit_refunded',
        recipient: 'anna@example.com',
        reservationId: booking.booking_id,
        payload: { ...notice.facts, audience: 'customer', booking_status: 'expired' },
        dedupeKey: `deposit_refunded:customer:${booking.booking_id}`,
      },
    ]);
    expect(rows.map((row) => row.recipient)).not.toContain('admin@patong.example');
    expect(bookingNotifications({ ...notice, status: 'cancelled' }, 'refunded')[0]!.payload).toMatchObject({ booking_status: 'cancelled' });
  });
});
