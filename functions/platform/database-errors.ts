import { BookingConflict, Conflict, ServiceUnavailable, sqlState, ValidationError, type DomainError } from '#core/errors';

export { sqlState };

const CONNECTION_ERROR_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE']);

/**
 * Server-side states that mean "the connection or the server is gone or stuck, retry later":
 * 57P01-03 administrator shutdown (also "terminating connection due to unexpected postmaster
 * exit"), crash shutdown, cannot connect now (starting up, recovering); 57P05 idle session
 * timeout; 53300 too many connections; 25P03 idle-in-transaction timeout (the session was ended);
 * 57014 statement_timeout (or a cancel); 55P03 lock_timeout. The last two are the time budget
 * firing (docs/operations.md#time-budgets): the database is too busy to answer in time, which a
 * retry may well not meet.
 */
const UNAVAILABLE_STATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300', '25P03', '57014', '55P03']);

/**
 * node-postgres's own errors, which carry no code: a pool connect timeout, a connection that
 * ended under a query, a query the client gave up on (query_timeout), and a client used after
 * its connection failed or closed.
 */
const UNAVAILABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED|Query read timeout|(encountered a connection error|was closed) and is not queryable/i;

/** Errors that mean "the database is not reachable right now", so a retry may succeed. */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && CONNECTION_ERROR_CODES.has(code)) return true;
  const state = sqlState(error);
  // 08: connection exceptions.
  if (state && (state.startsWith('08') || UNAVAILABLE_STATES.has(state))) return true;
  const message = error instanceof Error ? error.message : '';
  return UNAVAILABLE_MESSAGES.test(message);
}

/**
 * The database errors a request can legitimately cause, as domain errors. Anything else
 * stays unknown and becomes a logged generic 500.
 */
export function toDomainError(error: unknown): DomainError | undefined {
  if (error instanceof AggregateError && error.errors.length > 0) return toDomainError(error.errors[0]);
  if (isDatabaseUnavailable(error)) return new ServiceUnavailable(undefined, { cause: error });
  const state = sqlState(error);
  // Class 22, data exception: a value PostgreSQL cannot take (a reversed range 22000, a bad
  // date 22007/22008, an out-of-range number 22003, bad text for a type 22P02, NUL in text
  // 22021/22P05, a string too long 22001, …). Validation should have refused it first; this
  // is the backstop that keeps any such input a 400, never a 500.
  if (state?.startsWith('22')) return new ValidationError('A value in the request is not valid.', { cause: error });
  switch (state) {
    case '23P01': // exclusion_violation: the no-overlap constraint caught a race
      return new BookingConflict(undefined, { cause: error });
    case '40001': // serialization_failure
    case '40P01': // deadlock_detected
      return new Conflict('A concurrent change got there first. Please retry.', { cause: error });
    default:
      return undefined;
  }
}
