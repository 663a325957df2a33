import type { CarWithImages, ReadyImage } from '#core/cars/inventory';
import type { AgencyCarJson, CarImageJson } from '#core/cars/shape';
import { publicImageUrl } from '#platform/image-urls';

export function imageJson(image: ReadyImage): CarImageJson {
  return { id: image.id, url: publicImageUrl(image.s3_key), position: image.position };
}

/** A car as the agency sees it. */
export function carJson(car: CarWithImages): AgencyCarJson {
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
    weekly_discount: { from_days: car.weekly_discount_days, percent: car.weekly_discount_percent },
    monthly_discount: { from_days: car.monthly_discount_days, percent: car.monthly_discount_percent },
    min_rental_days: car.min_rental_days,
    min_notice_hours: car.min_notice_hours,
    max_lead_days: car.max_lead_days,
    turnaround_days: car.turnaround_days,
    images: car.images.map(imageJson),
    created_at: car.created_at.toISOString(),
    updated_at: car.updated_at.toISOString(),
  };
}
