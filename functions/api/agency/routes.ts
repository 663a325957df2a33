import * as z from 'zod';
import { MAX_IMAGE_BYTES, MAX_IMAGES_PER_CAR, UPLOAD_URL_LIFETIME_SECONDS } from '#core/cars/images';
import { MAX_CARS_PER_AGENCY } from '#core/cars/inventory';
import { AgencyCarJson, CreateCarBody, ImageUploadBody, ImageUploadJson, ReadyCarImageJson, UpdateCarBody } from '#core/cars/shape';
import {
  DeliveryOptionsBody,
  DeliveryOptionsJson,
  MAX_RATE_PLAN_CARS,
  MAX_SEASONS_PER_CAR,
  OpeningHoursBody,
  OpeningHoursJson,
  RatePlanBody,
  ReplaceSeasonsBody,
  SeasonListJson,
} from '#core/rules/shape';
import { PhoneStatusJson, PhoneVerificationJson } from '#core/users/shape';
import { CODE_LIFETIME_MINUTES, CODE_PATTERN, CODES_PER_DAY, MAX_WRONG_CODE_TRIES } from '#core/users/verification';
import { PageQuery } from '#platform/pagination';
import { defineRoute } from '#platform/route';
import { Uuid, pageOf } from '#platform/schemas';

/** Agency inventory: an agency admin's own cars and their photos; the rules it rents them by; its phone. */

const CarParams = z.object({ id: Uuid });
const ImageParams = z.object({ id: Uuid, image_id: Uuid });

const notFound = { description: 'No such car (or photo) in your agency' };
const common = { access: 'agency_admin' as const, database: 'write' as const, tags: ['Agency inventory'] };
const rules = { ...common, tags: ['Agency rental terms'] };
const FUTURE_BOOKINGS_ONLY = 'Prices of bookings made from now on change; stored bookings keep the price they were charged.';

export const agencyRoutes = {
  listCars: defineRoute({
    ...common,
    method: 'GET',
    path: '/agency/cars/',
    handler: 'api/agency/list-cars',
    operationId: 'listAgencyCars',
    summary: "The agency's own cars, published or not",
    query: PageQuery,
    responses: { 200: { description: 'A page of cars, oldest first', schema: pageOf(AgencyCarJson, 'AgencyCarPage') } },
  }),
  createCar: defineRoute({
    ...common,
    method: 'POST',
    path: '/agency/cars/',
    handler: 'api/agency/create-car',
    summary: 'Add a car (unpublished unless is_published is true)',
    body: CreateCarBody,
    responses: {
      201: { description: 'The new car', schema: AgencyCarJson, headers: ['Location'] },
      409: { description: `The agency already has ${MAX_CARS_PER_AGENCY} cars (deleted ones do not count)` },
    },
  }),
  getCar: defineRoute({
    ...common,
    method: 'GET',
    path: '/agency/cars/{id}/',
    handler: 'api/agency/get-car',
    // get-car is also the public car's handler name (api/cars/get-car).
    operationId: 'getAgencyCar',
    summary: 'One of your cars',
    params: CarParams,
    responses: { 200: { description: 'The car', schema: AgencyCarJson }, 404: notFound },
  }),
  updateCar: defineRoute({
    ...common,
    method: 'PATCH',
    path: '/agency/cars/{id}/',
    handler: 'api/agency/update-car',
    summary: 'Change any subset of a car’s fields',
    params: CarParams,
    body: UpdateCarBody,
    responses: { 200: { description: 'The updated car', schema: AgencyCarJson }, 404: notFound },
  }),
  deleteCar: defineRoute({
    ...common,
    method: 'DELETE',
    path: '/agency/cars/{id}/',
    handler: 'api/agency/delete-car',
    uses: ['images-bucket'],
    imagesBucket: ['delete'],
    summary: 'Delete a car and its photos',
    description:
      'A car with booking history is kept as deleted (it no longer shows anywhere). A car with upcoming pending or confirmed bookings cannot be deleted (409): unpublish it with PATCH instead.',
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
    summary: 'Start a photo upload',
    description: `Answers a presigned URL valid for ${UPLOAD_URL_LIFETIME_SECONDS} s: PUT the file there with exactly the headers given, then confirm the photo with POST …/images/{image_id}/confirm/.`,
    params: CarParams,
    body: ImageUploadBody,
    responses: {
      201: { description: 'A pending photo and where to upload it', schema: ImageUploadJson },
      404: notFound,
      409: { description: `The car already has ${MAX_IMAGES_PER_CAR} photos` },
      413: { description: `Declared size over ${MAX_IMAGE_BYTES / 1024 / 1024} MiB` },
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
    summary: 'Confirm an uploaded photo',
    description: 'Once the file is in storage with the declared type and size, the photo becomes ready and is shown last.',
    params: ImageParams,
    responses: {
      200: { description: 'The ready photo (again, if it already was)', schema: ReadyCarImageJson },
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
  listCarSeasons: defineRoute({
    ...rules,
    method: 'GET',
    path: '/agency/cars/{id}/seasons/',
    handler: 'api/agency/list-car-seasons',
    summary: 'A car’s seasons: the daily rates of date ranges (high season, one-off peaks)',
    params: CarParams,
    responses: { 200: { description: 'Every season of the car, by start date', schema: SeasonListJson }, 404: notFound },
  }),
  updateCarSeasons: defineRoute({
    ...rules,
    method: 'PUT',
    path: '/agency/cars/{id}/seasons/',
    handler: 'api/agency/update-car-seasons',
    summary: 'Replace all of a car’s seasons',
    description: `One rate a day: seasons may not share a day (400 naming both), so a peak inside a season is its own season and the season around it is split in two. At most ${MAX_SEASONS_PER_CAR}; past seasons are allowed. Each day a season covers is priced at its daily_rate instead of the car's; its min_rental_days applies to rentals starting in it, when stricter than the car's. All or nothing. ${FUTURE_BOOKINGS_ONLY}`,
    params: CarParams,
    body: ReplaceSeasonsBody,
    responses: { 200: { description: 'The car’s seasons now, by start date', schema: SeasonListJson }, 404: notFound },
  }),
  createRatePlan: defineRoute({
    ...rules,
    method: 'POST',
    path: '/agency/seasons/',
    handler: 'api/agency/create-rate-plan',
    summary: 'Add one season to several of your cars (a rate plan)',
    description: `The same dates on up to ${MAX_RATE_PLAN_CARS} cars, at one daily_rate or at percent_of_base_rate of each car's own rate. All or nothing: 404 if any car is not yours, 409 naming every car that already has a season on one of these days. ${FUTURE_BOOKINGS_ONLY}`,
    body: RatePlanBody,
    responses: {
      201: { description: 'The season added to each car, in the order of car_ids', schema: SeasonListJson },
      404: { description: 'A car of car_ids is not in your agency (nothing was added)' },
      409: { description: 'A car already has a season on one of these days, or the most seasons a car may have (nothing was added)' },
    },
  }),
  getOpeningHours: defineRoute({
    ...rules,
    method: 'GET',
    path: '/agency/opening-hours/',
    handler: 'api/agency/get-opening-hours',
    summary: 'When your agency hands cars over, and its after-hours fee',
    responses: { 200: { description: 'The weekly hours and the after-hours fee', schema: OpeningHoursJson } },
  }),
  updateOpeningHours: defineRoute({
    ...rules,
    method: 'PUT',
    path: '/agency/opening-hours/',
    handler: 'api/agency/update-opening-hours',
    summary: 'Replace your weekly opening hours and after-hours fee',
    description: `A pick-up or return (Asia/Bangkok) from opens up to, not including, closes is within the hours. Outside them it costs after_hours_fee per hand-over, or is refused (409 rental-rule) when after_hours_fee is null. An empty list sets no hours: hand-overs at any time. ${FUTURE_BOOKINGS_ONLY}`,
    body: OpeningHoursBody,
    responses: { 200: { description: 'The hours and fee now', schema: OpeningHoursJson } },
  }),
  getDeliveryOptions: defineRoute({
    ...rules,
    method: 'GET',
    path: '/agency/delivery/',
    handler: 'api/agency/get-delivery-options',
    summary: 'Where your agency delivers cars to and collects them from, and the fee each',
    responses: { 200: { description: 'The delivery options, by landmark', schema: DeliveryOptionsJson } },
  }),
  updateDeliveryOptions: defineRoute({
    ...rules,
    method: 'PUT',
    path: '/agency/delivery/',
    handler: 'api/agency/update-delivery-options',
    summary: 'Replace the landmarks you deliver to and their fees',
    description: `Travellers may then pick the car up at (pickup_landmark) or return it to (return_landmark) any of these landmarks, paying its fee per hand-over; at your own address it is free. Landmarks are the slugs of GET /landmarks/. ${FUTURE_BOOKINGS_ONLY}`,
    body: DeliveryOptionsBody,
    responses: { 200: { description: 'The delivery options now', schema: DeliveryOptionsJson } },
  }),
  requestPhoneVerification: defineRoute({
    ...common,
    tags: ['Agency phone'],
    method: 'POST',
    path: '/agency/phone/verification/',
    handler: 'api/agency/phone-verification',
    operationId: 'requestPhoneCode',
    summary: "Text a 6-digit code to the agency's phone",
    description: 'Proves the number: booking SMS go only to a verified phone. Send the code back to POST /agency/phone/verify/.',
    responses: {
      202: { description: 'A code is on its way by SMS', schema: PhoneVerificationJson },
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
    operationId: 'verifyPhone',
    summary: "Prove the agency's phone with the code texted to it",
    body: z.strictObject({ code: z.string().regex(CODE_PATTERN, 'must be the 6 digits sent to you') }).meta({ id: 'VerifyPhoneRequest' }),
    responses: {
      200: { description: 'The phone is verified: it receives booking SMS', schema: PhoneStatusJson },
      400: {
        description: `The code is wrong or expired (valid ${CODE_LIFETIME_MINUTES} minutes, dead after ${MAX_WRONG_CODE_TRIES} wrong tries or when a newer one is sent)`,
      },
    },
  }),
};
