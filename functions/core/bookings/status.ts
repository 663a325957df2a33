import type { ReservationStatus } from '../reservations/table';
import { Conflict } from '../errors';

/**
 * What an agency may do to a booking (docs/bookings.md, Lifecycle): pending → confirmed | cancelled,
 * confirmed → cancelled | completed (completed only on or after the start date).
 * Everything else between valid statuses is a 409.
 */
const AGENCY_TRANSITIONS: Partial<Record<ReservationStatus, readonly ReservationStatus[]>> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['cancelled', 'completed'],
};

export function assertAgencyTransition(from: ReservationStatus, to: ReservationStatus, startDate: string, today: string): void {
  if (!AGENCY_TRANSITIONS[from]?.includes(to)) {
    throw new Conflict(`A ${from} booking cannot become ${to}.`);
  }
  if (to === 'completed' && today < startDate) {
    throw new Conflict(`A booking can be completed on or after its start date (${startDate}).`);
  }
}
