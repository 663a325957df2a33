import { describe, expect, it } from 'vitest';
import { isRefundable } from '#core/bookings/manage';
import { assertAgencyTransition } from '#core/bookings/status';
import { RESERVATION_STATUSES } from '#core/reservations/table';

describe('the agency state machine', () => {
  const allowed = new Set(['pending→confirmed', 'pending→cancelled', 'confirmed→cancelled', 'confirmed→completed']);
  for (const from of RESERVATION_STATUSES) {
    for (const to of RESERVATION_STATUSES) {
      const legal = allowed.has(`${from}→${to}`);
      it(`${legal ? 'allows' : 'refuses (409)'} ${from} → ${to}`, () => {
        const attempt = () => assertAgencyTransition(from, to, '2027-01-10', '2027-01-10');
        if (legal) expect(attempt).not.toThrow();
        else expect(attempt).toThrow(expect.objectContaining({ status: 409 }));
      });
    }
  }

  it('refuses completing before the start date and allows it from the start date on', () => {
    expect(() => assertAgencyTransition('confirmed', 'completed', '2027-01-10', '2027-01-09')).toThrow(expect.objectContaining({ status: 409 }));
    expect(() => assertAgencyTransition('confirmed', 'completed', '2027-01-10', '2027-01-11')).not.toThrow();
  });
});

describe('the refund policy', () => {
  // The start day 2027-01-10 begins at 2027-01-09T17:00Z (Asia/Bangkok is UTC+7).
  it('refunds up to exactly 48 hours before 00:00 Bangkok of the start day', () => {
    expect(isRefundable('2027-01-10', new Date('2027-01-07T17:00:00Z'))).toBe(true);
    expect(isRefundable('2027-01-10', new Date('2027-01-07T17:00:01Z'))).toBe(false);
    expect(isRefundable('2027-01-10', new Date('2027-01-01T00:00:00Z'))).toBe(true);
    expect(isRefundable('2027-01-10', new Date('2027-01-09T12:00:00Z'))).toBe(false);
  });
});
