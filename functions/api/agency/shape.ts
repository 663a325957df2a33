import type { CarWithImages, ReadyImage } from '#core/cars/inventory';
import { Forbidden } from '#core/errors';
import type { Caller } from '#platform/auth';
import { publicImageUrl } from '#platform/image-urls';

/** The caller's agency. `agency_admin` routes only let in admins who have one. */
export function agencyOf(caller: Caller): string {
  if (!caller.agencyId) throw new Forbidden('Only agency admins can use this endpoint.');
  return caller.agencyId;
}

export function imageJson(image: ReadyImage) {
  return { id: image.id, url: publicImageUrl(image.s3_key), position: image.position };
}

/** A car as the agency sees it (API.md, Agency inventory). */
export function carJson(car: CarWithImages) {
  return {
    id: car.id,
    agency_id: car.agency_id,
    make: car.make,
    model: car.model,
    year: car.year,
    car_type: car.car_type,
    transmission: car.transmission,
    seats: car.seats,
    fuel_type: car.fuel_type,
    daily_rate: car.daily_rate,
    deposit_amount: car.deposit_amount,
    currency: car.currency,
    description: car.description,
    lat: car.lat,
    lng: car.lng,
    pickup_address: car.pickup_address,
    is_published: car.is_published,
    images: car.images.map(imageJson),
    created_at: car.created_at.toISOString(),
    updated_at: car.updated_at.toISOString(),
  };
}
