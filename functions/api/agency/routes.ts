import * as z from 'zod';
import { todayInBangkok } from '#core/availability/dates';
import { MAX_IMAGE_BYTES, MAX_IMAGES_PER_CAR, UPLOAD_URL_LIFETIME_SECONDS } from '#core/cars/images';
import { MAX_CARS_PER_AGENCY } from '#core/cars/inventory';
import { CAR_TYPES, FUEL_TYPES, IMAGE_CONTENT_TYPES, TRANSMISSIONS } from '#core/cars/table';
import { MIN_DEPOSIT_SATANG } from '#core/payments/provider';
import { CODE_LIFETIME_MINUTES, CODE_PATTERN, CODES_PER_DAY, MAX_WRONG_CODE_TRIES } from '#core/users/verification';
import { defineRoute } from '#platform/route';
import { PageQuery, Uuid, pageOf } from '#platform/schemas';

/** Agency inventory (sprint 2): an agency admin's own cars and their photos. */

const MAX_SATANG = 10_000_000; // 100,000.00 THB

/** The calendar year in Phuket now; a car can be next year's model at most. */
function latestModelYear(): number {
  return Number(todayInBangkok().slice(0, 4)) + 1;
}

const Name = z.string().trim().min(1).max(200);
const Satang = z.number().int('must be an integer amount of satang');

const carFields = {
  make: Name,
  model: Name,
  year: z
    .number()
    .int()
    .min(1950)
    .refine((year) => year <= latestModelYear(), { message: 'must not be later than next year' }),
  car_type: z.enum(CAR_TYPES),
  transmission: z.enum(TRANSMISSIONS),
  seats: z.number().int().min(1).max(60),
  fuel_type: z.enum(FUEL_TYPES),
  daily_rate: Satang.min(1).max(MAX_SATANG).meta({ description: 'Satang per day' }),
  // Every booking takes its deposit through a Stripe PaymentIntent, and Stripe charges at least THB 10.
  deposit_amount: Satang.min(MIN_DEPOSIT_SATANG, `must be at least ${MIN_DEPOSIT_SATANG} satang (THB 10), the smallest deposit a card payment can take`)
    .max(MAX_SATANG)
    .meta({ description: `Satang, at least ${MIN_DEPOSIT_SATANG} (THB 10): every booking pays its deposit by card` }),
  description: z.string().max(5000),
  lat: z.number().min(-90).max(90).nullable().meta({ description: "null or absent: the agency's location" }),
  lng: z.number().min(-180).max(180).nullable(),
  pickup_address: z.string().trim().max(500).nullable(),
  is_published: z.boolean(),
};

/** lat and lng are set together: both numbers, both null, or both absent. */
function locationComplete(body: { lat?: number | null; lng?: number | null }, ctx: z.RefinementCtx): void {
  const latGiven = body.lat !== undefined && body.lat !== null;
  const lngGiven = body.lng !== undefined && body.lng !== null;
  if ((body.lat === undefined) !== (body.lng === undefined) || latGiven !== lngGiven) {
    const missing = body.lat === undefined || (body.lat === null && lngGiven) ? 'lat' : 'lng';
    ctx.addIssue({ code: 'custom', path: [missing], message: 'lat and lng go together: send both or neither' });
  }
}

export const CreateCarBody = z
  .strictObject({
    ...carFields,
    description: carFields.description.optional(),
    lat: carFields.lat.optional(),
    lng: carFields.lng.optional(),
    pickup_address: carFields.pickup_address.optional(),
    is_published: carFields.is_published.optional().meta({ description: 'Default false: new cars are unpublished' }),
  })
  .superRefine(locationComplete)
  .meta({ id: 'CarCreate' });

export const UpdateCarBody = z
  .strictObject(carFields)
  .partial()
  // Any subset, the empty one included (a no-op: update-car.ts answers the car as it is).
  .superRefine(locationComplete)
  .meta({ id: 'CarUpdate' });

export const ImageUploadBody = z
  .strictObject({
    content_type: z.string().max(100).meta({ description: `${IMAGE_CONTENT_TYPES.join(', ')} (any other type: 415)` }),
    content_length: z.number().int().min(1).meta({ description: `Bytes, at most ${MAX_IMAGE_BYTES} (larger: 413)` }),
  })
  .meta({ id: 'ImageUploadRequest' });

const CarImageOut = z.object({ id: z.uuid(), url: z.url(), position: z.number().int() }).meta({ id: 'CarImage' });

export const CarOut = z
  .object({
    id: z.uuid(),
    agency_id: z.uuid(),
    make: z.string(),
    model: z.string(),
    year: z.number().int(),
    car_type: z.enum(CAR_TYPES),
    transmission: z.enum(TRANSMISSIONS),
    seats: z.number().int(),
    fuel_type: z.enum(FUEL_TYPES),
    daily_rate: z.number().int(),
    deposit_amount: z.number().int(),
    currency: z.literal('thb'),
    description: z.string(),
    lat: z.number().nullable(),
    lng: z.number().nullable(),
    pickup_address: z.string().nullable(),
    is_published: z.boolean(),
    images: z.array(CarImageOut).meta({ description: 'Ready photos, by position' }),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'AgencyCar' });

const ImageUploadOut = z
  .object({
    id: z.uuid(),
    status: z.literal('pending'),
    upload: z.object({
      method: z.literal('PUT'),
      url: z.url(),
      headers: z.record(z.string(), z.string()).meta({ description: 'Send exactly these headers with the PUT; both are signed' }),
    }),
    expires_at: z.iso.datetime(),
  })
  .meta({ id: 'ImageUpload' });

const ReadyImageOut = CarImageOut.extend({ status: z.literal('ready') }).meta({ id: 'ReadyCarImage' });

const CarParams = z.object({ id: Uuid });
const ImageParams = z.object({ id: Uuid, image_id: Uuid });

const PhoneStatusOut = z
  .object({ phone: z.string().meta({ description: 'E.164, as SMS reach it' }), phone_verified: z.boolean() })
  .meta({ id: 'AgencyPhone' });
const PhoneVerificationOut = PhoneStatusOut.extend({ expires_at: z.iso.datetime() }).meta({ id: 'AgencyPhoneVerification' });

const notFound = { description: 'No such car (or photo) in your agency' };
const common = { access: 'agency_admin' as const, database: 'write' as const, tags: ['Agency inventory'] };

export const agencyRoutes = {
  listCars: defineRoute({
    ...common,
    method: 'GET',
    path: '/agency/cars/',
    handler: 'api/agency/list-cars',
    summary: "The agency's own cars, published or not",
    query: PageQuery,
    responses: { 200: { description: 'A page of cars, oldest first', schema: pageOf(CarOut, 'AgencyCarPage') } },
  }),
  createCar: defineRoute({
    ...common,
    method: 'POST',
    path: '/agency/cars/',
    handler: 'api/agency/create-car',
    summary: 'Add a car (unpublished unless is_published is true)',
    body: CreateCarBody,
    responses: {
      201: { description: 'The new car', schema: CarOut },
      409: { description: `The agency already has ${MAX_CARS_PER_AGENCY} cars (deleted ones do not count)` },
    },
  }),
  getCar: defineRoute({
    ...common,
    method: 'GET',
    path: '/agency/cars/{id}/',
    handler: 'api/agency/get-car',
    summary: 'One of your cars',
    params: CarParams,
    responses: { 200: { description: 'The car', schema: CarOut }, 404: notFound },
  }),
  updateCar: defineRoute({
    ...common,
    method: 'PATCH',
    path: '/agency/cars/{id}/',
    handler: 'api/agency/update-car',
    summary: 'Change any subset of a car’s fields',
    params: CarParams,
    body: UpdateCarBody,
    responses: { 200: { description: 'The updated car', schema: CarOut }, 404: notFound },
  }),
  deleteCar: defineRoute({
    ...common,
    method: 'DELETE',
    path: '/agency/cars/{id}/',
    handler: 'api/agency/delete-car',
    uses: ['images-bucket'],
    imagesBucket: ['delete'],
    summary: 'Delete a car and its photos (kept as deleted when it has booking history)',
    params: CarParams,
    responses: {
      204: { description: 'Deleted' },
      404: notFound,
      409: { description: 'The car has upcoming pending or confirmed bookings: unpublish it instead' },
    },
  }),
  createImageUpload: defineRoute({
    ...common,
    method: 'POST',
    path: '/agency/cars/{id}/images/',
    handler: 'api/agency/create-car-image',
    uses: ['images-bucket'],
    imagesBucket: ['upload'],
    summary: `Start a photo upload: a presigned PUT URL valid for ${UPLOAD_URL_LIFETIME_SECONDS} s`,
    params: CarParams,
    body: ImageUploadBody,
    responses: {
      201: { description: 'A pending photo and where to upload it', schema: ImageUploadOut },
      404: notFound,
      409: { description: `The car already has ${MAX_IMAGES_PER_CAR} photos` },
      413: { description: 'Declared size over 10 MiB' },
      415: { description: 'Declared type is not JPEG, PNG or WebP' },
    },
  }),
  confirmImage: defineRoute({
    ...common,
    method: 'POST',
    path: '/agency/cars/{id}/images/{image_id}/confirm/',
    handler: 'api/agency/confirm-car-image',
    uses: ['images-bucket'],
    imagesBucket: ['publish'],
    summary: 'Confirm an uploaded photo: it becomes ready and is shown last',
    params: ImageParams,
    responses: {
      200: { description: 'The ready photo (again, if it already was)', schema: ReadyImageOut },
      404: notFound,
      409: { description: 'Nothing uploaded yet, or not the declared type and size' },
      415: { description: 'The file is not a JPEG, PNG or WebP of the declared type (by its first bytes): the upload and the pending photo are deleted' },
    },
  }),
  deleteImage: defineRoute({
    ...common,
    method: 'DELETE',
    path: '/agency/cars/{id}/images/{image_id}/',
    handler: 'api/agency/delete-car-image',
    uses: ['images-bucket'],
    imagesBucket: ['delete'],
    summary: 'Delete a photo',
    params: ImageParams,
    responses: { 204: { description: 'Deleted' }, 404: notFound },
  }),
  requestPhoneVerification: defineRoute({
    ...common,
    tags: ['Agency phone'],
    method: 'POST',
    path: '/agency/phone/verification/',
    handler: 'api/agency/phone-verification',
    summary: "Text a 6-digit code to the agency's phone, to prove the number (booking SMS go only to a verified one)",
    responses: {
      202: { description: 'A code is on its way by SMS', schema: PhoneVerificationOut },
      409: { description: 'The phone is verified already, or cannot be read as a number that receives SMS' },
      429: { description: `A code went out less than a minute ago, or ${CODES_PER_DAY.phone} in the last 24 hours (Retry-After says when to ask again)` },
    },
  }),
  verifyPhone: defineRoute({
    ...common,
    tags: ['Agency phone'],
    method: 'POST',
    path: '/agency/phone/verify/',
    handler: 'api/agency/phone-verify',
    summary: "Prove the agency's phone with the code texted to it",
    body: z.strictObject({ code: z.string().regex(CODE_PATTERN, 'must be the 6 digits sent to you') }).meta({ id: 'VerifyPhoneRequest' }),
    responses: {
      200: { description: 'The phone is verified: it receives booking SMS', schema: PhoneStatusOut },
      400: { description: `The code is wrong or expired (valid ${CODE_LIFETIME_MINUTES} minutes, dead after ${MAX_WRONG_CODE_TRIES} wrong tries or when a newer one is sent)` },
    },
  }),
};
