import { describe, expect, it } from 'vitest';
import { BookingConflict, Conflict, ServiceUnavailable, ValidationError } from '#core/errors';
import { isDatabaseUnavailable, sqlState, toDomainError } from '#platform/database-errors';

/** A node-postgres DatabaseError carries its SQLSTATE in `code`. */
function pgError(code: string, message = `error ${code}`): Error {
  return Object.assign(new Error(message), { code });
}

/** node's network errors carry a string `code` too (ECONNREFUSED …). */
function systemError(code: string, message = `connect ${code} 127.0.0.1:5432`): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: 'connect' });
}

describe('toDomainError', () => {
  it('maps an exclusion violation (23P01, overlapping reservation) to a 409 BookingConflict', () => {
    const cause = pgError('23P01', 'conflicting key value violates exclusion constraint "reservations_no_overlap"');
    const mapped = toDomainError(cause);
    expect(mapped).toBeInstanceOf(BookingConflict);
    expect(mapped?.status).toBe(409);
    expect(mapped?.slug).toBe('dates-not-available');
    // The constraint's name and SQL text stay in the cause (for the log), not in the answer.
    expect(mapped?.message).not.toContain('reservations_no_overlap');
    expect(mapped?.cause).toBe(cause);
  });

  it.each(['40001', '40P01'])('maps %s (serialization failure / deadlock) to a 409 Conflict', (code) => {
    const mapped = toDomainError(pgError(code));
    expect(mapped).toBeInstanceOf(Conflict);
    expect(mapped?.status).toBe(409);
  });

  it.each([
    ['a refused connection (ECONNREFUSED)', systemError('ECONNREFUSED')],
    ['a reset connection (ECONNRESET)', systemError('ECONNRESET', 'read ECONNRESET')],
    ['an administrator shutdown (57P01)', pgError('57P01', 'terminating connection due to administrator command')],
    ['too many connections (53300)', pgError('53300', 'sorry, too many clients already')],
    ['a connection exception class 08 (08006)', pgError('08006', 'connection failure')],
    ['a pool connect timeout', new Error('timeout exceeded when trying to connect')],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    ['the server killed under a connection (57P01)', pgError('57P01', 'terminating connection due to unexpected postmaster exit')],
    ['another backend crashed (57P02)', pgError('57P02', 'terminating connection because of crash of another server process')],
    ['a server starting up or recovering (57P03)', pgError('57P03', 'the database system is starting up')],
    ['statement_timeout firing (57014)', pgError('57014', 'canceling statement due to statement timeout')],
    ['lock_timeout firing (55P03)', pgError('55P03', 'canceling statement due to lock timeout')],
    ['idle_in_transaction_session_timeout ending the session (25P03)', pgError('25P03', 'terminating connection due to idle-in-transaction timeout')],
    ['the client giving up on a query (query_timeout)', new Error('Query read timeout')],
    ['a query on a client whose connection failed', new Error('Client has encountered a connection error and is not queryable')],
    ['a query on a client already closed', new Error('Client was closed and is not queryable')],
  ])('maps %s to a 503 ServiceUnavailable with Retry-After', (_label, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    const mapped = toDomainError(error);
    expect(mapped).toBeInstanceOf(ServiceUnavailable);
    expect(mapped?.status).toBe(503);
    expect(mapped?.headers?.['retry-after']).toMatch(/^\d+$/);
  });

  it('looks inside an AggregateError (pg connecting to localhost over IPv4 and IPv6) for the first cause', () => {
    const aggregate = new AggregateError([systemError('ECONNREFUSED'), systemError('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')]);
    const mapped = toDomainError(aggregate);
    expect(mapped).toBeInstanceOf(ServiceUnavailable);
    expect(mapped?.headers?.['retry-after']).toBeDefined();
  });

  it.each([
    '22000', // data_exception: a range whose bounds are reversed
    '22P02', // invalid_text_representation
    '22007', // invalid_datetime_format
    '22008', // datetime_field_overflow
    '22003', // numeric_value_out_of_range
    '22021', // character_not_in_repertoire: NUL in text
    '22P05', // untranslatable_character: \u0000 in json
    '22023', // invalid_parameter_value
    '22001', // string_data_right_truncation: longer than a varchar
    '22026', // string_data_length_mismatch
    '2200D', // invalid_escape_octet … every class-22 code, known to us or not
    '22012', // division_by_zero
  ])('maps a data exception in the request (%s, class 22) to a 400 ValidationError', (code) => {
    const mapped = toDomainError(pgError(code, 'invalid input syntax for type uuid: "nope"'));
    expect(mapped).toBeInstanceOf(ValidationError);
    expect(mapped?.status).toBe(400);
    // The SQL error text is not what the client reads.
    expect(mapped?.message).not.toContain('invalid input syntax');
  });

  it.each([
    ['a plain Error', new Error('boom')],
    ['a unique violation no caller handled (23505)', pgError('23505')],
    ['a syntax error in our SQL (42601)', pgError('42601')],
    ['an integrity constraint of ours (23514, a check)', pgError('23514')],
    ['a code that only starts like class 22 in a longer string', { code: '220001' }],
    ['an unknown network code', systemError('EWHATEVER', 'something else')],
    ['undefined', undefined],
    ['null', null],
    ['a string', 'boom'],
    ['an empty AggregateError', new AggregateError([])],
  ])('leaves %s unknown (undefined, so it becomes a logged 500)', (_label, error) => {
    expect(toDomainError(error)).toBeUndefined();
  });
});

describe('sqlState', () => {
  it('reads only five-character SQLSTATE codes, not node system error codes', () => {
    expect(sqlState(pgError('23P01'))).toBe('23P01');
    expect(sqlState(systemError('ECONNREFUSED'))).toBeUndefined();
    expect(sqlState({ code: 23505 })).toBeUndefined();
    expect(sqlState(null)).toBeUndefined();
  });
});
