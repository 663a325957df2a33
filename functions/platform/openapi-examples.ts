import { addDays, rentalDays, todayInBangkok } from '#core/availability/dates';
import { DEFAULT_LENGTH_DISCOUNTS } from '#core/cars/shape';
import { DEFAULT_PRICING_RATES, percentOf, priceRental } from '#core/pricing/pricing';
import { DEFAULT_HAND_OVER_TIME } from '#core/pricing/terms';
import { sortKeys, sortPosition } from '#core/search/ordering';
import { encodeCursor } from '#core/pagination';
import { DEMO_SIGN_IN } from './demo-accounts';
import { PROBLEM_TYPES, type ProblemSlug } from './problem-types';
import { problemType } from './problem';

/**
 * Examples of every operation of the OpenAPI document, by operationId: realistic Phuket
 * rentals, dates counted from today in Bangkok (the document is built per container, so they
 * stay current), money in satang and priced by the real pricing rule. The ids are the demo
 * catalogue's (dev/demo-data.ts makes its records with EXAMPLE_IDS, on the days of
 * exampleCalendar), so "Try it out" on the docs page of `npm run dev` works as the demo
 * traveller or the demo agency. test/unit/openapi-document.test.ts checks every example
 * against its route's schema; test/integration/try-it-out.test.ts sends every operation's
 * example request to a server holding the demo data and expects its success.
 */
export interface OperationExamples {
  params?: Record<string, string>;
  query?: Record<string, string | number>;
  headers?: Record<string, string>;
  body?: unknown;
  responses?: Record<number, unknown>;
}

/**
 * The demo catalogue's fixed ids (dev/demo-data.ts makes these records with them): Patong
 * Wheels (demo.agency@example.com), two of its vehicles, and the demo traveller's rentals.
 */
export const EXAMPLE_IDS = {
  agency: 'caaeba2e-47e5-4ae6-bfff-6b54359c9091',
  agencyAdmin: '16b8a643-c02b-4db8-9fb2-971a8e253d5f',
  traveller: '53c789dd-1fe4-44b5-8c6a-b1304c31285a',
  /** A Honda Click 160 scooter of Patong Wheels, published. */
  scooter: '2479b9ae-eead-4d34-bae0-49f02151207e',
  /** A Toyota Yaris Ativ of Patong Wheels, published, with a maintenance block and no bookings (so it can be deleted). */
  car: '4b35ff24-9df7-4a5d-b1ef-e8a4d8f6903a',
  /** The scooter's photo, ready. */
  scooterImage: '0ed4bce5-1532-4541-bf85-1c7d8b78c7eb',
  /** The demo traveller's upcoming booking of the scooter, paid, more than 48 hours ahead (cancelling refunds it). */
  booking: 'd72d72d7-5ced-4fed-aa66-97a44c9c8445',
  /** The demo traveller's rental of the scooter under way today: the agency marks it returned. */
  runningBooking: '44fce952-ce6a-4441-baad-9eb32e3a6cd4',
  /** The demo traveller's completed (and paid) rental of the scooter, not reviewed yet. */
  pastBooking: '45b989dd-342e-4104-9fc4-a65099346f0c',
  /** The demo traveller's earlier completed rental of the scooter, the one `review` is of. */
  reviewedBooking: 'cf36a88b-4f55-4632-899a-7b73d2076fca',
  /** The demo traveller's review of Patong Wheels, not replied to yet. */
  review: '0b51d4a7-554e-462d-9871-a01cf6ef4e98',
  /** The Yaris Ativ's maintenance block. */
  block: '233632bf-9aa3-4e8c-b169-a3788ab75624',
  /** The Yaris Ativ's seasons (exampleSeasonPlans): the high season, its New Year peak, the high season after it. */
  highSeason: '8f3b2a51-6c0e-4d7a-9e21-5b4c7d8e9f01',
  newYearPeak: 'a2c4e6f8-1b3d-4f5a-8c7e-9d0b1a2c3e4f',
  lateHighSeason: '5e7d9c1b-3a5f-4e2d-b8c6-0f1e2d3c4b5a',
} as const;

/** Ids the server would give records the examples create: none of them is in the demo data. */
const NEW_IDS = {
  agencyAdmin: '31544409-2913-45a6-8ebd-2df7a118427d',
  agency: '9d3538e7-e28b-4555-bc32-41648851f7cf',
  car: '650fd536-faea-4fc9-9ca9-6d76fde2df2a',
  image: '3ee43f68-0765-4d0d-8eee-22e695f97d48',
  block: '5a8491e4-c8df-49fd-8ee9-ca9cff6eaa42',
  review: '76629804-4ece-46e5-a9f5-d78fb3ede632',
  booking: 'e3b0f1d2-6a4c-4f1e-9d7a-2c5b8e1f4a90',
  seasons: ['c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f', 'd4e5f6a7-b8c9-4d0e-9f1a-2b3c4d5e6f70', 'e7f8a9b0-c1d2-4e3f-a4b5-c6d7e8f9a0b1'],
  ratePlanSeasons: ['f0a1b2c3-d4e5-4f6a-87b8-c9d0e1f2a3b4', '0b1c2d3e-4f5a-4b6c-9d7e-8f9a0b1c2d3e'],
} as const;

/** Patong Wheels, the demo agency, with its admin's name, as dev/demo-data.ts registers it. */
export const EXAMPLE_AGENCY = {
  admin: 'Nok Srisuk',
  name: 'Patong Wheels',
  phone: '+66 76 340 118',
  address: '88 Thawewong Rd, Patong, Kathu, Phuket 83150',
  lat: 7.8935,
  lng: 98.2966,
} as const;

/** The demo scooter (EXAMPLE_IDS.scooter), as dev/demo-data.ts lists it; money in satang. */
export const EXAMPLE_SCOOTER = {
  make: 'Honda',
  model: 'Click 160',
  year: 2025,
  car_type: 'scooter',
  transmission: 'automatic',
  seats: 2,
  fuel_type: 'petrol',
  daily_rate: 35_000, // 350 THB a day
  deposit_amount: 500_000, // 5,000 THB
  description: 'Honda Click 160 from Patong Wheels. Two helmets and a rain poncho included.',
} as const;

/** The demo car (EXAMPLE_IDS.car), as dev/demo-data.ts lists it. */
export const EXAMPLE_CAR = {
  make: 'Toyota',
  model: 'Yaris Ativ',
  year: 2024,
  car_type: 'economy',
  transmission: 'automatic',
  seats: 5,
  fuel_type: 'petrol',
  daily_rate: 95_000,
  deposit_amount: 500_000,
  description: 'Toyota Yaris Ativ from Patong Wheels. Full insurance, child seat on request.',
} as const;

/**
 * The rental rules of the two vehicles, as the agency API shows them (AgencyCar) and
 * dev/demo-data.ts sets them (PATCH /agency/cars/{id}/'s function): the scooter is rented for 3
 * days at least, with a weekly and a monthly discount; the Yaris Ativ needs a day's notice and a
 * day between rentals for cleaning.
 */
export const EXAMPLE_SCOOTER_RULES = {
  weekly_discount: { from_days: 7, percent: 10 },
  monthly_discount: { from_days: 28, percent: 25 },
  min_rental_days: 3,
  min_notice_hours: 0,
  max_lead_days: null,
  turnaround_days: 0,
} as const;

export const EXAMPLE_CAR_RULES = {
  weekly_discount: { from_days: 7, percent: 5 },
  monthly_discount: { from_days: 28, percent: 20 },
  min_rental_days: 1,
  min_notice_hours: 24,
  max_lead_days: 365,
  turnaround_days: 1,
} as const;

/** Patong Wheels' hours (08:00–20:00, Sundays 09:00–18:00) and its fee for a hand-over outside them (THB 300). */
export const EXAMPLE_OPENING_HOURS = {
  hours: [1, 2, 3, 4, 5, 6].map((weekday) => ({ weekday, opens: '08:00', closes: '20:00' })).concat([{ weekday: 7, opens: '09:00', closes: '18:00' }]),
  after_hours_fee: 30_000,
};

/** Where Patong Wheels delivers, by landmark slug: its own beach free, Karon for THB 200, the airport (HKT) for THB 600 each way. */
export const EXAMPLE_DELIVERY = {
  options: [
    { landmark: 'karon-beach', fee: 20_000 },
    { landmark: 'patong-beach', fee: 0 },
    { landmark: 'phuket-airport', fee: 60_000 },
  ],
};

/**
 * Phuket's high season around today (15 December to 31 March: the one running now, else the
 * next), as the rate plans dev/demo-data.ts applies to every car and pickup of the catalogue
 * (scooters keep one rate all year): the season at 130 % of each car's base rate, split around
 * a New Year peak at 160 % with a 3-day minimum (a day has one rate, so a peak is its own season).
 * Then Songkran, after it, which the createRatePlan example adds.
 */
export function exampleSeasonPlans(today: string) {
  const year = Number(today.slice(0, 4));
  // The season ending on 31 March of `endYear` is the one running now or the next to come.
  const endYear = today <= `${year}-03-31` ? year : year + 1;
  const before = endYear - 1;
  return {
    highSeason: [
      { name: 'High season', start_date: `${before}-12-15`, end_date: `${before}-12-27`, percent_of_base_rate: 130 },
      { name: 'New Year', start_date: `${before}-12-28`, end_date: `${endYear}-01-03`, percent_of_base_rate: 160, min_rental_days: 3 },
      { name: 'High season', start_date: `${endYear}-01-04`, end_date: `${endYear}-03-31`, percent_of_base_rate: 130 },
    ],
    songkran: { name: 'Songkran', start_date: `${endYear}-04-11`, end_date: `${endYear}-04-17`, percent_of_base_rate: 120 },
  };
}

/** The storage key of the scooter's photo (the layout of core/cars/image-keys.ts). */
export const EXAMPLE_IMAGE_KEY = `agencies/${EXAMPLE_IDS.agency}/cars/${EXAMPLE_IDS.scooter}/${EXAMPLE_IDS.scooterImage}.jpg`;

/** The demo traveller's review (EXAMPLE_IDS.review). */
export const EXAMPLE_REVIEW = { rating: 5, comment: 'Clean scooter, full tank, easy hand-over on Thawewong Road.' } as const;

const at = (day: string, time: string) => `${day}T${time}Z`;

/**
 * The days and moments of the demo records, counted from today in Bangkok: the examples show
 * them and dev/demo-data.ts books them (counted from the day it seeds), so an example's booking
 * is the demo's booking. The scooter is free on `stay`, which the examples search and book; as
 * days pass after the seeding, `stay` and `newBlock` only move further from the demo's records,
 * but the upcoming booking starts after a week: `npm run seed -- --reset` lines them up again.
 */
export function exampleCalendar(today: string) {
  const range = (from: number, to: number) => ({ start: addDays(today, from), end: addDays(today, to) });
  return {
    stay: range(14, 16),
    booking: range(7, 9),
    bookingCreatedAt: at(addDays(today, -2), '09:12:44.000'),
    bookingPaidAt: at(addDays(today, -2), '09:14:02.000'),
    runningBooking: range(-1, 1),
    pastBooking: range(-4, -2),
    reviewedBooking: range(-9, -7),
    reviewCreatedAt: at(addDays(today, -5), '11:02:00.000'),
    block: range(30, 32),
    /** The block the createBlock example adds: after the demo's, so clear of it however long ago the demo was seeded. */
    newBlock: range(40, 41),
    /** When the demo's Patong Wheels cars were listed. */
    listedAt: at(addDays(today, -60), '03:20:00.000'),
  };
}

/** The payment intent of the upcoming booking (EXAMPLE_IDS.booking). */
export const EXAMPLE_INTENT_ID = 'pi_3QxPhuketDemo0001';
const IDEMPOTENCY_KEY = 'b44b69a1-c2eb-4ddc-9a50-872b0bc4991a';
const INTENT_ID = EXAMPLE_INTENT_ID;
const IMAGE_BASE = 'https://d2x8phuket.cloudfront.net';

export function problemExample(slug: ProblemSlug, detail: string, errors?: { path: string; message: string }[]) {
  const { status, title } = PROBLEM_TYPES[slug];
  return { type: problemType(slug), title, status, detail, ...(errors ? { errors } : {}) };
}

export function operationExamples(now: Date): Record<string, OperationExamples> {
  const today = todayInBangkok(now);
  const days = exampleCalendar(today);
  const { start, end } = days.stay;
  const nowIso = now.toISOString().replace(/\.\d{3}Z$/, '.000Z');
  const inMinutes = (minutes: number) => new Date(now.getTime() + minutes * 60_000).toISOString().replace(/\.\d{3}Z$/, '.000Z');

  const { description: scooterDescription, ...scooterSpec } = EXAMPLE_SCOOTER;
  const scooterFields = { ...scooterSpec, currency: 'thb' } as const;
  // The scooter has one rate all year, and its weekly discount starts after the examples' 3 days.
  const scooterPrice = (range: { start: string; end: string }) =>
    priceRental(
      { dailyRate: EXAMPLE_SCOOTER.daily_rate, depositAmount: EXAMPLE_SCOOTER.deposit_amount, startDate: range.start, endDate: range.end },
      DEFAULT_PRICING_RATES,
    );
  /** A booking's price fields: the price as stored, its breakdown beside it. */
  const priceOf = (range: { start: string; end: string }) => {
    const { breakdown, ...price } = scooterPrice(range);
    return { ...price, price_breakdown: breakdown };
  };
  /** A booking of the scooter made through the API: at the agency's address, at the default time. */
  const handOver = { pickup_time: DEFAULT_HAND_OVER_TIME, return_time: DEFAULT_HAND_OVER_TIME, pickup_landmark: null, return_landmark: null };
  const stayPrice = scooterPrice(days.stay);
  const { daily_rate_at_booking: dailyRate, breakdown: stayBreakdown, ...priceParts } = stayPrice;
  const carPrice = { ...priceParts, daily_rate: dailyRate };

  const patongWheels = { id: EXAMPLE_IDS.agency, name: EXAMPLE_AGENCY.name, rating_average: 4.6, review_count: 12 };
  const agencyContact = { phone: EXAMPLE_AGENCY.phone, address: EXAMPLE_AGENCY.address };
  const scooterImage = { url: `${IMAGE_BASE}/${EXAMPLE_IMAGE_KEY}` };

  const booking = {
    id: EXAMPLE_IDS.booking,
    status: 'confirmed',
    car_id: EXAMPLE_IDS.scooter,
    start_date: days.booking.start,
    end_date: days.booking.end,
    booked_end_date: null,
    ...handOver,
    ...priceOf(days.booking),
    expires_at: null,
    created_at: days.bookingCreatedAt,
    deposit_paid_at: days.bookingPaidAt,
    payment: { provider: 'stripe', intent_id: INTENT_ID, amount: EXAMPLE_SCOOTER.deposit_amount },
  };
  const newIntentId = 'pi_3QxPhuketDemo0002';
  const createdBooking = {
    ...booking,
    id: NEW_IDS.booking,
    status: 'pending',
    start_date: start,
    end_date: end,
    ...priceOf(days.stay),
    expires_at: inMinutes(15),
    created_at: nowIso,
    deposit_paid_at: null,
    payment: { provider: 'stripe', intent_id: newIntentId, client_secret: `${newIntentId}_secret_Kd81nQw2`, amount: EXAMPLE_SCOOTER.deposit_amount },
  };
  const runningBooking = {
    ...booking,
    id: EXAMPLE_IDS.runningBooking,
    start_date: days.runningBooking.start,
    end_date: days.runningBooking.end,
    ...priceOf(days.runningBooking),
    payment: null,
  };
  const block = {
    id: EXAMPLE_IDS.block,
    car_id: EXAMPLE_IDS.car,
    start_date: days.block.start,
    end_date: days.block.end,
    reason: 'Scheduled service',
    status: 'confirmed',
  };
  const newBlock = {
    id: NEW_IDS.block,
    car_id: EXAMPLE_IDS.car,
    start_date: days.newBlock.start,
    end_date: days.newBlock.end,
    reason: 'New tyres',
    status: 'confirmed',
  };

  const agencyCar = {
    id: EXAMPLE_IDS.scooter,
    agency_id: EXAMPLE_IDS.agency,
    ...scooterFields,
    description: scooterDescription,
    lat: null,
    lng: null,
    pickup_address: EXAMPLE_AGENCY.address,
    is_published: true,
    ...EXAMPLE_SCOOTER_RULES,
    images: [{ id: EXAMPLE_IDS.scooterImage, url: scooterImage.url, position: 0 }],
    created_at: days.listedAt,
    updated_at: days.listedAt,
  };
  const newCar = {
    make: 'Honda',
    model: 'City',
    year: 2024,
    car_type: 'economy',
    transmission: 'automatic',
    seats: 5,
    fuel_type: 'petrol',
    daily_rate: 100_000,
    deposit_amount: 500_000,
    description: 'Honda City, automatic, full insurance; child seat on request.',
    pickup_address: EXAMPLE_AGENCY.address,
    is_published: true,
    weekly_discount: { from_days: 7, percent: 10 },
    turnaround_days: 1,
  } as const;
  const createdCar = {
    ...agencyCar,
    ...newCar,
    // What a new car's rules are unless sent.
    monthly_discount: DEFAULT_LENGTH_DISCOUNTS.monthly,
    min_rental_days: 1,
    min_notice_hours: 0,
    max_lead_days: null,
    id: NEW_IDS.car,
    currency: 'thb',
    lat: null,
    lng: null,
    images: [],
    created_at: nowIso,
    updated_at: nowIso,
  };

  const plans = exampleSeasonPlans(today);
  const seasonIds = [EXAMPLE_IDS.highSeason, EXAMPLE_IDS.newYearPeak, EXAMPLE_IDS.lateHighSeason];
  const yarisSeasons = plans.highSeason.map(({ percent_of_base_rate: percent, ...season }, index) => ({
    id: seasonIds[index]!,
    car_id: EXAMPLE_IDS.car,
    ...season,
    days: rentalDays(season.start_date, season.end_date),
    daily_rate: percentOf(EXAMPLE_CAR.daily_rate, percent * 100),
    min_rental_days: season.min_rental_days ?? null,
  }));
  const [early, peak, late] = yarisSeasons as [(typeof yarisSeasons)[number], (typeof yarisSeasons)[number], (typeof yarisSeasons)[number]];
  const peakStart = addDays(peak.start_date, -1);
  const newSeasons = [{ ...early, end_date: addDays(peakStart, -1) }, { ...peak, start_date: peakStart, daily_rate: 160_000 }, late].map((season, index) => ({
    ...season,
    id: NEW_IDS.seasons[index]!,
    days: rentalDays(season.start_date, season.end_date),
  }));
  const newHours = {
    ...EXAMPLE_OPENING_HOURS,
    hours: EXAMPLE_OPENING_HOURS.hours.map((row) => (row.weekday === 6 ? { ...row, closes: '21:00' } : row)),
  };
  const newDelivery = {
    options: [
      { landmark: 'kata-beach', fee: 25_000 },
      ...EXAMPLE_DELIVERY.options.map((option) => (option.landmark === 'phuket-airport' ? { ...option, fee: 50_000 } : option)),
    ],
  };

  const review = {
    id: EXAMPLE_IDS.review,
    booking_id: EXAMPLE_IDS.reviewedBooking,
    agency_id: EXAMPLE_IDS.agency,
    ...EXAMPLE_REVIEW,
    created_at: days.reviewCreatedAt,
    reply: null,
    replied_at: null,
    verified_rental: true,
  };
  const reply = 'Thank you, see you next time in Patong!';
  const newReview = {
    ...review,
    id: NEW_IDS.review,
    booking_id: EXAMPLE_IDS.pastBooking,
    comment: 'Hand-over in five minutes, and the scooter made it up to Karon Viewpoint without a fuss.',
    created_at: nowIso,
  };
  const user = { id: EXAMPLE_IDS.traveller, email: DEMO_SIGN_IN.traveller, full_name: 'Demo Traveller', role: 'customer' };
  const registered = { id: NEW_IDS.agencyAdmin, email: 'nok@example.com', full_name: 'Nok Srisuk', role: 'agency_admin' };
  const jwt = (kind: string) => `eyJraWQiOiJkZW1vIiwiYWxnIjoiUlMyNTYifQ.${kind}.c2lnbmF0dXJl`;
  const page = <T>(results: T[]) => ({ results, next_cursor: null });
  const searchOrdering = 'price';

  return {
    getHealth: {
      responses: {
        200: { status: 'ok', database: 'ok' },
        503: { ...problemExample('service-unavailable', 'The database cannot be reached. Retry after the Retry-After interval.'), database: 'unavailable' },
      },
    },
    getOpenApiDocument: {
      responses: {
        200: { openapi: '3.1.0', info: { title: 'Phuket Rental API', version: '1.0.0' }, paths: { '/api/v1/health/': { get: { operationId: 'getHealth' } } } },
      },
    },
    getApiReference: {
      responses: { 200: '<!doctype html><html lang="en"><head><title>Phuket Rental API</title>…</head><body><div id="swagger-ui"></div>…</body></html>' },
    },
    getApiReferenceAsset: { params: { file: 'swagger-ui.css' } },
    getProblemType: { params: { slug: 'dates-not-available' } },

    registerAccount: {
      body: {
        email: registered.email,
        password: 'Phuket-2027',
        full_name: registered.full_name,
        role: 'agency_admin',
        agency: { name: 'Surin Scooters', phone: '+66 76 123 456', address: 'Surin Beach Rd, Choeng Thale, Thalang, Phuket 83110', lat: 7.9757, lng: 98.2789 },
      },
      responses: { 201: { user: registered, agency: { id: NEW_IDS.agency, name: 'Surin Scooters' } } },
    },
    verifyEmail: { body: { email: registered.email, code: '482913' }, responses: { 200: { user: registered } } },
    resendEmailCode: { body: { email: registered.email } },
    signIn: {
      body: { email: DEMO_SIGN_IN.traveller, password: DEMO_SIGN_IN.password },
      responses: {
        200: { access_token: jwt('YWNjZXNz'), refresh_token: 'eyJjdHkiOiJKV1QifQ.cmVmcmVzaA', id_token: jwt('aWQ'), expires_in: 3600, token_type: 'Bearer' },
      },
    },
    refreshTokens: {
      body: { refresh_token: 'eyJjdHkiOiJKV1QifQ.cmVmcmVzaA' },
      responses: { 200: { access_token: jwt('YWNjZXNz'), id_token: jwt('aWQ'), expires_in: 3600, token_type: 'Bearer' } },
    },
    getMe: { responses: { 200: { ...user, email_verified: true } } },

    listAgencyCars: { query: { limit: 20 }, responses: { 200: page([agencyCar]) } },
    createCar: { body: newCar, responses: { 201: createdCar } },
    getAgencyCar: { params: { id: EXAMPLE_IDS.scooter }, responses: { 200: agencyCar } },
    updateCar: {
      params: { id: EXAMPLE_IDS.scooter },
      body: { daily_rate: 30_000, is_published: true },
      responses: { 200: { ...agencyCar, daily_rate: 30_000, updated_at: nowIso } },
    },
    deleteCar: { params: { id: EXAMPLE_IDS.car } },
    createCarImage: {
      params: { id: EXAMPLE_IDS.scooter },
      body: { content_type: 'image/jpeg', content_length: 845_312 },
      responses: {
        201: {
          id: NEW_IDS.image,
          status: 'pending',
          upload: {
            method: 'PUT',
            url: `https://phuket-rental-images.s3.ap-southeast-1.amazonaws.com/pending/agencies/${EXAMPLE_IDS.agency}/cars/${EXAMPLE_IDS.scooter}/${NEW_IDS.image}.jpg?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=300&X-Amz-Signature=3f1e`,
            headers: { 'content-type': 'image/jpeg', 'content-length': '845312' },
          },
          expires_at: inMinutes(5),
        },
      },
    },
    confirmCarImage: {
      params: { id: EXAMPLE_IDS.scooter, image_id: EXAMPLE_IDS.scooterImage },
      responses: { 200: { id: EXAMPLE_IDS.scooterImage, url: scooterImage.url, position: 0, status: 'ready' } },
    },
    deleteCarImage: { params: { id: EXAMPLE_IDS.scooter, image_id: EXAMPLE_IDS.scooterImage } },
    listCarSeasons: { params: { id: EXAMPLE_IDS.car }, responses: { 200: { seasons: yarisSeasons } } },
    // The New Year peak a day longer and dearer; the high season around it follows.
    updateCarSeasons: {
      params: { id: EXAMPLE_IDS.car },
      body: { seasons: newSeasons.map(({ id: _id, car_id: _car, days: _days, ...season }) => season) },
      responses: { 200: { seasons: newSeasons } },
    },
    createRatePlan: {
      body: { car_ids: [EXAMPLE_IDS.scooter, EXAMPLE_IDS.car], ...plans.songkran },
      responses: {
        201: {
          seasons: [EXAMPLE_SCOOTER, EXAMPLE_CAR].map((vehicle, index) => ({
            id: NEW_IDS.ratePlanSeasons[index]!,
            car_id: index === 0 ? EXAMPLE_IDS.scooter : EXAMPLE_IDS.car,
            name: plans.songkran.name,
            start_date: plans.songkran.start_date,
            end_date: plans.songkran.end_date,
            days: rentalDays(plans.songkran.start_date, plans.songkran.end_date),
            daily_rate: percentOf(vehicle.daily_rate, plans.songkran.percent_of_base_rate * 100),
            min_rental_days: null,
          })),
        },
      },
    },
    getOpeningHours: { responses: { 200: EXAMPLE_OPENING_HOURS } },
    // Open an hour longer on Saturdays; the after-hours fee stays.
    updateOpeningHours: {
      body: newHours,
      responses: { 200: newHours },
    },
    getDeliveryOptions: { responses: { 200: EXAMPLE_DELIVERY } },
    // Kata Beach added, the airport a little cheaper.
    updateDeliveryOptions: {
      body: newDelivery,
      responses: { 200: newDelivery },
    },
    requestPhoneCode: { responses: { 202: { phone: '+6676340118', phone_verified: false, expires_at: inMinutes(10) } } },
    verifyPhone: { body: { code: '730215' }, responses: { 200: { phone: '+6676340118', phone_verified: true } } },

    searchCars: {
      query: {
        start_date: start,
        end_date: end,
        car_type: 'scooter',
        landmark: 'patong-beach',
        radius_km: 5,
        min_price: 20_000,
        max_price: 60_000,
        seats_min: 2,
        ordering: searchOrdering,
        // One result a page, so the answer shows a next_cursor (the API's own, for this ordering).
        limit: 1,
      },
      responses: {
        200: {
          results: [
            {
              id: EXAMPLE_IDS.scooter,
              ...scooterFields,
              days: stayPrice.days,
              total_price: stayPrice.total_price,
              price_breakdown: stayBreakdown,
              images: [scooterImage],
              agency: patongWheels,
              distance_km: 0.28,
              // Patong Wheels delivers on Patong Beach for free: the same total.
              delivery: { landmark: 'patong-beach', fee: 0, total_price: stayPrice.total_price },
            },
          ],
          // Search pages by the price of the stay (no delivery, no after-hours fee here: the subtotal).
          next_cursor: encodeCursor(
            sortPosition(searchOrdering, sortKeys(searchOrdering, undefined), { stay_price: stayPrice.subtotal, id: EXAMPLE_IDS.scooter }),
          ),
        },
      },
    },
    getCar: {
      params: { id: EXAMPLE_IDS.scooter },
      query: { start_date: start, end_date: end },
      responses: {
        200: {
          id: EXAMPLE_IDS.scooter,
          ...scooterFields,
          images: [scooterImage],
          description: scooterDescription,
          pickup_address: EXAMPLE_AGENCY.address,
          lat: EXAMPLE_AGENCY.lat,
          lng: EXAMPLE_AGENCY.lng,
          agency: { ...patongWheels, ...agencyContact },
          availability: { start_date: start, end_date: end, available: true },
          price: carPrice,
          price_breakdown: stayBreakdown,
          rental_terms: {
            seasons: [],
            ...EXAMPLE_SCOOTER_RULES,
            opening_hours: EXAMPLE_OPENING_HOURS.hours,
            after_hours_fee: EXAMPLE_OPENING_HOURS.after_hours_fee,
            delivery: EXAMPLE_DELIVERY.options,
          },
          // The rental under way (from today on) and the upcoming booking.
          unavailable_ranges: [
            { start_date: today, end_date: days.runningBooking.end },
            { start_date: days.booking.start, end_date: days.booking.end },
          ],
        },
      },
    },
    listLandmarks: {
      query: { limit: 3 },
      responses: {
        200: {
          results: [
            { slug: 'big-buddha', name: 'Big Buddha', lat: 7.8275, lng: 98.3128 },
            { slug: 'chalong-pier', name: 'Chalong Pier', lat: 7.8216, lng: 98.3581 },
            { slug: 'kata-beach', name: 'Kata Beach', lat: 7.8205, lng: 98.2985 },
          ],
          // Landmarks page by slug: the next page starts after the last one shown.
          next_cursor: encodeCursor(['kata-beach']),
        },
      },
    },
    getAgency: {
      params: { id: EXAMPLE_IDS.agency },
      responses: {
        200: {
          ...patongWheels,
          ...agencyContact,
          lat: EXAMPLE_AGENCY.lat,
          lng: EXAMPLE_AGENCY.lng,
          car_count: 5,
          opening_hours: EXAMPLE_OPENING_HOURS.hours,
          after_hours_fee: EXAMPLE_OPENING_HOURS.after_hours_fee,
          delivery: EXAMPLE_DELIVERY.options,
        },
      },
    },

    createBooking: {
      headers: { 'Idempotency-Key': IDEMPOTENCY_KEY },
      body: { car_id: EXAMPLE_IDS.scooter, start_date: start, end_date: end },
      responses: {
        201: createdBooking,
        // The same scooter for two days: it is rented for three at least.
        409: {
          ...problemExample('rental-rule', `This car is rented for at least ${EXAMPLE_SCOOTER_RULES.min_rental_days} days from ${start}; 2 were asked for.`),
          rule: 'min_rental_days',
        },
        429: {
          ...problemExample(
            'too-many-requests',
            'You already hold 2 unpaid bookings, the most at once (2). Pay the deposit of one or cancel it, or wait until a hold expires.',
          ),
          limit: 'unpaid_holds',
          max: 2,
        },
      },
    },
    listBookings: { query: { status: 'confirmed', limit: 20 }, responses: { 200: page([booking, runningBooking]) } },
    getBooking: { params: { id: EXAMPLE_IDS.booking }, responses: { 200: booking } },
    cancelBooking: {
      params: { id: EXAMPLE_IDS.booking },
      responses: { 200: { ...booking, status: 'cancelled', refund: { amount: EXAMPLE_SCOOTER.deposit_amount } } },
    },
    listAgencyBookings: {
      query: { status: 'confirmed', car_id: EXAMPLE_IDS.scooter, from: today, to: addDays(today, 30), limit: 20 },
      responses: {
        200: page([runningBooking, booking].map((entry) => ({ ...entry, customer: { full_name: user.full_name, email: user.email } }))),
      },
    },
    // The rental under way comes back early: it ends today.
    updateAgencyBooking: {
      params: { id: EXAMPLE_IDS.runningBooking },
      body: { status: 'completed' },
      responses: { 200: { ...runningBooking, status: 'completed', end_date: today, booked_end_date: days.runningBooking.end } },
    },
    createBlock: {
      params: { id: EXAMPLE_IDS.car },
      body: { start_date: newBlock.start_date, end_date: newBlock.end_date, reason: newBlock.reason },
      responses: { 201: newBlock },
    },
    listBlocks: { params: { id: EXAMPLE_IDS.car }, query: { limit: 20 }, responses: { 200: page([block]) } },
    deleteBlock: { params: { id: EXAMPLE_IDS.car, block_id: EXAMPLE_IDS.block } },
    receiveStripeEvent: {
      headers: { 'Stripe-Signature': 't=1767225600,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd' },
      body: {
        id: 'evt_3QxPhuketDemo0002',
        object: 'event',
        type: 'payment_intent.succeeded',
        created: Math.floor(now.getTime() / 1000),
        data: {
          object: {
            id: newIntentId,
            object: 'payment_intent',
            amount: EXAMPLE_SCOOTER.deposit_amount,
            currency: 'thb',
            status: 'succeeded',
            metadata: { booking_id: createdBooking.id },
          },
        },
      },
      responses: { 200: { received: true, outcome: 'confirmed' } },
    },

    createReview: {
      params: { id: EXAMPLE_IDS.pastBooking },
      body: { rating: newReview.rating, comment: newReview.comment },
      responses: { 201: newReview },
    },
    listAgencyReviews: {
      params: { id: EXAMPLE_IDS.agency },
      query: { limit: 20 },
      responses: {
        200: page([
          {
            id: review.id,
            rating: review.rating,
            comment: review.comment,
            created_at: review.created_at,
            customer_name: 'Demo T.',
            // Not replied to yet: replyToReview's example replies to it.
            reply: review.reply,
            replied_at: review.replied_at,
            verified_rental: true,
          },
        ]),
      },
    },
    replyToReview: {
      params: { id: EXAMPLE_IDS.agency, review_id: EXAMPLE_IDS.review },
      body: { reply },
      responses: { 200: { ...review, reply, replied_at: nowIso } },
    },
  };
}
