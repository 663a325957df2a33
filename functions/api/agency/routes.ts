import * as z from 'zod';
import { MAX_IMAGE_BYTES, MAX_IMAGES_PER_CAR, UPLOAD_URL_LIFETIME_SECONDS } from '#core/cars/images';
import { MAX_CARS_PER_AGENCY } from '#core/cars/inventory';
import { AgencyCarJson, CreateCarBody, ImageUploadBody, ImageUploadJson, ReadyCarImageJson, UpdateCarBody } from '#core/cars/shape';
import { PhoneStatusJson, PhoneVerificationJson } from '#core/users/shape';
import { CODE_LIFETIME_MINUTES, CODE_PATTERN, CODES_PER_DAY, MAX_WRONG_CODE_TRIES } from '#core/users/verification';
import { PageQuery } from '#platform/pagination';
import { defineRoute } from '#platform/route';
import { Uuid, pageOf } from '#platform/schemas';

/** Agency inventory: an agency admin's own cars and their photos. */

const CarParams = z.object({ id: Uuid });
const ImageParams = z.object({ id: Uuid, image_id: Uuid });

const notFound = { description: 'No such car (or photo) in your agency' };
const common = { access: 'agency_admin' as const, database: 'write' as const, tags: ['Agency inventory'] };

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
