import { describe, expect, it } from 'vitest';
import { handler } from '#functions/api/cars/search-cars';
import { bangkokDate } from '../helpers/cars';
import { apiEvent, lambdaContext } from '../helpers/events';
import { useRoundTripCounter } from '../helpers/round-trips';

/**
 * A public search is one statement, a search near a landmark included: landmarks are reference
 * data each process reads once (core/geo/landmarks.ts), not once per search. A count, not a time.
 */
const counted = useRoundTripCounter();

function search(query: Record<string, string>) {
  const event = apiEvent({ method: 'GET', path: '/api/v1/cars/', query });
  return counted(() => handler(event, lambdaContext('search-round-trips')));
}

describe('the database round trips of a search', () => {
  const dates = { start_date: bangkokDate(10), end_date: bangkokDate(16) };

  it('near a landmark: one, once the process has read the landmarks', async () => {
    await search({ ...dates, landmark: 'kamala-beach' }); // the first landmark search reads them
    const { result, statements } = await search({ ...dates, landmark: 'patong-beach' });
    expect(result.statusCode).toBe(200);
    expect(statements, statements.join('\n')).toHaveLength(1);
  });

  it('an unknown landmark is refused (400) without a query', async () => {
    const { result, statements } = await search({ ...dates, landmark: 'atlantis' });
    expect(result.statusCode).toBe(400);
    expect(statements).toEqual([]);
  });

  it('fleet-wide: one', async () => {
    const { result, statements } = await search(dates);
    expect(result.statusCode).toBe(200);
    expect(statements).toHaveLength(1);
  });
});
