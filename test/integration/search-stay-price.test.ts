import fc from 'fast-check';
import { sql, type RawBuilder, type SqlBool } from 'kysely';
import { describe, expect, it } from 'vitest';
import { addDays, rentalDays } from '#core/availability/dates';
import { priceRental } from '#core/pricing/pricing';
import { loadRentalTerms, rentalPriceInput, rentalRuleBroken, type RentalRequest } from '#core/pricing/terms';
import { stayAllowed, stayJoins, stayOf, stayPrice, type Stay } from '#core/search/stay-price';
import { getDb } from '#platform/db';
import { useApi } from '../helpers/api';
import { createAgency, createCar, inDays } from '../helpers/catalog';

/**
 * Search's SQL (core/search/stay-price.ts) against the pricing function and the rules
 * (core/pricing/): for random cars, seasons, discounts, opening hours, fees, dates and times,
 * the stay price search orders by is priceRental()'s subtotal (no delivery), search lists the
 * car exactly when rentalRuleBroken() finds no rule broken, and the price segments search walks
 * bound the stay price and sum to it (segment_stay_price(), migration 0017). Fixed seed: a failure is reproducible.
 */
useApi(); // the test file's database and environment

/**
 * The car's rows of car_price_segments (migrations 0016, 0017) overlapping the stay, in the discount
 * tier its length reaches: its stay price is at least days × their lowest low_day_price, and at
 * most days × their highest high_day_price (the walk's bounds).
 */
function segmentsOfStay(stay: Stay): RawBuilder<SqlBool> {
  return sql<SqlBool>`g.start_date <= ${stay.endDate}::date AND g.end_date >= ${stay.startDate}::date
    AND g.from_days <= ${stay.days}::int2 AND g.to_days > ${stay.days}::int2`;
}

// Hours near the opening hours' edges below, so that the boundaries are met often.
const time = fc
  .tuple(fc.constantFrom(0, 7, 8, 9, 12, 17, 18, 23), fc.constantFrom(0, 0, 30, 59))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

const arbitraryCase = fc.record({
  dailyRate: fc.integer({ min: 1, max: 1_000_000 }),
  weekly: fc.record({ days: fc.integer({ min: 2, max: 20 }), percent: fc.integer({ min: 0, max: 90 }) }),
  monthly: fc.record({ extraDays: fc.integer({ min: 1, max: 40 }), percent: fc.integer({ min: 0, max: 90 }) }),
  minRentalDays: fc.integer({ min: 1, max: 5 }),
  minNoticeHours: fc.constantFrom(0, 0, 12, 48, 200),
  maxLeadDays: fc.option(fc.integer({ min: 1, max: 60 })),
  // Seasons laid one after another from an offset (days from today), each after a gap.
  seasons: fc.array(
    fc.record({
      gap: fc.integer({ min: 0, max: 15 }),
      days: fc.integer({ min: 1, max: 20 }),
      dailyRate: fc.integer({ min: 1, max: 2_000_000 }),
      minRentalDays: fc.option(fc.integer({ min: 1, max: 7 })),
    }),
    { maxLength: 4 },
  ),
  seasonsFrom: fc.integer({ min: -10, max: 30 }),
  hours: fc.option(
    fc.array(fc.record({ weekday: fc.integer({ min: 1, max: 7 }), opens: fc.constantFrom(0, 8, 9), closes: fc.constantFrom(17, 18, 23) }), {
      minLength: 1,
      maxLength: 7,
    }),
  ),
  afterHoursFee: fc.option(fc.integer({ min: 0, max: 200_000 })),
  start: fc.integer({ min: 0, max: 70 }),
  days: fc.integer({ min: 1, max: 60 }),
  pickupTime: time,
  returnTime: time,
});

describe('the stay price and rules of search = the pricing function and the rules of booking', () => {
  it('for random cars, seasons, discounts, hours, fees, dates and times', async () => {
    const db = getDb();
    const now = new Date();
    await fc.assert(
      fc.asyncProperty(arbitraryCase, async (sample) => {
        const agency = await createAgency();
        await db.updateTable('agencies').set({ after_hours_fee: sample.afterHoursFee }).where('id', '=', agency.id).execute();
        const weekdays = new Map((sample.hours ?? []).map((hours) => [hours.weekday, hours]));
        for (const hours of weekdays.values()) {
          await db
            .insertInto('agency_opening_hours')
            .values({ agency_id: agency.id, weekday: hours.weekday, opens: `${hours.opens}:00`, closes: `${hours.closes}:00` })
            .execute();
        }
        const car = await createCar(agency.id, {
          daily_rate: sample.dailyRate,
          weekly_discount_days: sample.weekly.days,
          weekly_discount_percent: sample.weekly.percent,
          monthly_discount_days: Math.min(sample.weekly.days + sample.monthly.extraDays, 90),
          monthly_discount_percent: sample.monthly.percent,
          min_rental_days: sample.minRentalDays,
          min_notice_hours: sample.minNoticeHours,
          max_lead_days: sample.maxLeadDays,
        });
        let day = inDays(sample.seasonsFrom);
        for (const [index, season] of sample.seasons.entries()) {
          const start = addDays(day, season.gap);
          const end = addDays(start, season.days - 1);
          await db
            .insertInto('car_seasons')
            .values({
              car_id: car.id,
              name: `S${index}`,
              start_date: start,
              end_date: end,
              daily_rate: season.dailyRate,
              min_rental_days: season.minRentalDays,
            })
            .execute();
          day = addDays(end, 1);
        }
        const request: RentalRequest = {
          startDate: inDays(sample.start),
          endDate: inDays(sample.start + sample.days - 1),
          pickupTime: sample.pickupTime,
          returnTime: sample.returnTime,
          pickupLandmark: null,
          returnLandmark: null,
        };
        const stay = stayOf(request, now);

        const { rows } = await sql<{ price: number; allowed: boolean; lowest: number; highest: number; segment_price: string }>`
          SELECT ${stayPrice('c', stay)} AS price, ${stayAllowed('c', 'a', stay)} AS allowed,
            segment_stay_price(c.id, ${stay.startDate}::date, ${stay.endDate}::date, ${stay.days}::int2) AS segment_price,
            (SELECT min(g.low_day_price) FROM car_price_segments AS g WHERE g.car_id = c.id AND ${segmentsOfStay(stay)}) AS lowest,
            (SELECT max(g.high_day_price) FROM car_price_segments AS g WHERE g.car_id = c.id AND ${segmentsOfStay(stay)}) AS highest
          FROM cars AS c JOIN agencies AS a ON a.id = c.agency_id ${stayJoins('c', 'a', stay)}
          WHERE c.id = ${car.id}::uuid`.execute(db);
        const searched = rows[0]!;
        // What the walks price the cars they meet by: the same, from the car's price rows.
        expect(Number(searched.segment_price)).toBe(Number(searched.price));
        const terms = (await loadRentalTerms(db, car.id))!;
        const broken = rentalRuleBroken(terms, request, now);
        expect(searched.allowed, broken?.message).toBe(broken === undefined);
        if (broken === undefined) {
          const input = rentalPriceInput(terms, request);
          const price = priceRental(input);
          // The key is the price of the days: the subtotal without the hand-overs' charges.
          const fees = input.pickup!.afterHoursFee + input.return!.afterHoursFee;
          expect(Number(searched.price)).toBe(price.subtotal - fees);
          const days = rentalDays(request.startDate, request.endDate);
          expect(days * searched.lowest).toBeLessThanOrEqual(Number(searched.price));
          expect(Number(searched.price)).toBeLessThanOrEqual(days * searched.highest);
        }
      }),
      { seed: 20261203, numRuns: 150 },
    );
  });
});
