import type { CarType, FuelType, Transmission } from '#core/cars/table';

/**
 * Believable Phuket rental data, shared by the demo seed (`npm run dev`, `npm run seed`) and
 * the search benchmark's generator (bench/), so both look like the island: agencies where
 * tourists stay, a fleet that is mostly scooters and small cars, THB rates as found on the
 * island in 2026.
 */

/** Where rental agencies cluster, with a weight for how many do. */
export const RENTAL_AREAS = [
  { name: 'Patong', lat: 7.895, lng: 98.299, weight: 22, street: 'Thawewong Rd' },
  { name: 'Kata', lat: 7.821, lng: 98.3, weight: 9, street: 'Kata Rd' },
  { name: 'Karon', lat: 7.847, lng: 98.2965, weight: 9, street: 'Patak Rd' },
  { name: 'Kamala', lat: 7.953, lng: 98.284, weight: 6, street: 'Rim Had Rd' },
  { name: 'Surin', lat: 7.976, lng: 98.281, weight: 4, street: 'Srisoonthorn Rd' },
  { name: 'Bang Tao', lat: 8.0, lng: 98.299, weight: 7, street: 'Srisoonthorn Rd' },
  { name: 'Rawai', lat: 7.776, lng: 98.325, weight: 8, street: 'Viset Rd' },
  { name: 'Nai Harn', lat: 7.779, lng: 98.306, weight: 4, street: 'Nai Harn Rd' },
  { name: 'Chalong', lat: 7.84, lng: 98.34, weight: 8, street: 'Chao Fah West Rd' },
  { name: 'Phuket Town', lat: 7.885, lng: 98.388, weight: 12, street: 'Thalang Rd' },
  { name: 'Airport', lat: 8.108, lng: 98.31, weight: 8, street: 'Thepkasattri Rd' },
  { name: 'Nai Yang', lat: 8.09, lng: 98.3, weight: 3, street: 'Nai Yang Rd' },
] as const;

export type RentalArea = (typeof RENTAL_AREAS)[number];

export interface VehicleModel {
  type: CarType;
  make: string;
  model: string;
  seats: number;
  transmission: Transmission;
  fuel: FuelType;
  /** Daily rate range in THB (not satang). */
  rate: readonly [number, number];
  /** Deposit in THB. */
  deposit: number;
}

/** Typical models per type; `weight` of a type is its share of an island fleet. */
export const FLEET: ReadonlyArray<{ type: CarType; weight: number; models: VehicleModel[] }> = [
  {
    type: 'scooter',
    weight: 34,
    models: [
      { type: 'scooter', make: 'Honda', model: 'Click 125i', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [200, 300], deposit: 3000 },
      { type: 'scooter', make: 'Honda', model: 'Click 160', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [300, 400], deposit: 5000 },
      { type: 'scooter', make: 'Honda', model: 'Scoopy i', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [200, 250], deposit: 3000 },
      { type: 'scooter', make: 'Yamaha', model: 'NMAX 155', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [300, 400], deposit: 5000 },
      { type: 'scooter', make: 'Honda', model: 'PCX 160', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [350, 450], deposit: 5000 },
      { type: 'scooter', make: 'Honda', model: 'ADV 160', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [450, 600], deposit: 5000 },
    ],
  },
  {
    type: 'big_bike',
    weight: 5,
    models: [
      { type: 'big_bike', make: 'Honda', model: 'Forza 350', seats: 2, transmission: 'automatic', fuel: 'petrol', rate: [900, 1200], deposit: 10000 },
      { type: 'big_bike', make: 'Honda', model: 'CB500X', seats: 2, transmission: 'manual', fuel: 'petrol', rate: [1200, 1600], deposit: 15000 },
      { type: 'big_bike', make: 'Kawasaki', model: 'Z900', seats: 2, transmission: 'manual', fuel: 'petrol', rate: [2200, 2800], deposit: 20000 },
      { type: 'big_bike', make: 'BMW', model: 'R 1250 GS', seats: 2, transmission: 'manual', fuel: 'petrol', rate: [3500, 4500], deposit: 30000 },
    ],
  },
  {
    type: 'economy',
    weight: 18,
    models: [
      { type: 'economy', make: 'Toyota', model: 'Yaris Ativ', seats: 5, transmission: 'automatic', fuel: 'petrol', rate: [800, 1100], deposit: 5000 },
      { type: 'economy', make: 'Honda', model: 'City', seats: 5, transmission: 'automatic', fuel: 'petrol', rate: [900, 1200], deposit: 5000 },
      { type: 'economy', make: 'Nissan', model: 'Almera', seats: 5, transmission: 'automatic', fuel: 'petrol', rate: [750, 1000], deposit: 5000 },
      { type: 'economy', make: 'Suzuki', model: 'Swift', seats: 5, transmission: 'manual', fuel: 'petrol', rate: [700, 900], deposit: 5000 },
    ],
  },
  {
    type: 'compact',
    weight: 10,
    models: [
      { type: 'compact', make: 'Mazda', model: '2 Hatchback', seats: 5, transmission: 'automatic', fuel: 'petrol', rate: [1000, 1300], deposit: 8000 },
      { type: 'compact', make: 'Toyota', model: 'Corolla Altis HEV', seats: 5, transmission: 'automatic', fuel: 'hybrid', rate: [1300, 1600], deposit: 8000 },
      { type: 'compact', make: 'MG', model: 'MG4 Electric', seats: 5, transmission: 'automatic', fuel: 'electric', rate: [1200, 1500], deposit: 10000 },
    ],
  },
  {
    type: 'suv',
    weight: 14,
    models: [
      { type: 'suv', make: 'Toyota', model: 'Fortuner', seats: 7, transmission: 'automatic', fuel: 'diesel', rate: [1800, 2500], deposit: 15000 },
      { type: 'suv', make: 'Honda', model: 'CR-V', seats: 5, transmission: 'automatic', fuel: 'petrol', rate: [1700, 2300], deposit: 15000 },
      { type: 'suv', make: 'Toyota', model: 'Corolla Cross HEV', seats: 5, transmission: 'automatic', fuel: 'hybrid', rate: [1500, 1900], deposit: 10000 },
      { type: 'suv', make: 'BYD', model: 'Atto 3', seats: 5, transmission: 'automatic', fuel: 'electric', rate: [1600, 2000], deposit: 15000 },
    ],
  },
  {
    type: 'pickup',
    weight: 9,
    models: [
      { type: 'pickup', make: 'Toyota', model: 'Hilux Revo', seats: 5, transmission: 'manual', fuel: 'diesel', rate: [1100, 1500], deposit: 10000 },
      { type: 'pickup', make: 'Isuzu', model: 'D-Max', seats: 5, transmission: 'automatic', fuel: 'diesel', rate: [1100, 1400], deposit: 10000 },
      { type: 'pickup', make: 'Ford', model: 'Ranger', seats: 5, transmission: 'automatic', fuel: 'diesel', rate: [1300, 1700], deposit: 10000 },
    ],
  },
  {
    type: 'van',
    weight: 5,
    models: [
      { type: 'van', make: 'Toyota', model: 'Commuter', seats: 12, transmission: 'automatic', fuel: 'diesel', rate: [2200, 2800], deposit: 15000 },
      { type: 'van', make: 'Hyundai', model: 'H-1', seats: 11, transmission: 'automatic', fuel: 'diesel', rate: [2300, 3000], deposit: 15000 },
      { type: 'van', make: 'Toyota', model: 'Alphard', seats: 7, transmission: 'automatic', fuel: 'hybrid', rate: [4000, 5500], deposit: 30000 },
    ],
  },
  {
    type: 'luxury',
    weight: 5,
    models: [
      { type: 'luxury', make: 'Mercedes-Benz', model: 'C 350e', seats: 5, transmission: 'automatic', fuel: 'hybrid', rate: [4000, 5500], deposit: 40000 },
      { type: 'luxury', make: 'BMW', model: '530e M Sport', seats: 5, transmission: 'automatic', fuel: 'hybrid', rate: [5000, 6500], deposit: 40000 },
      { type: 'luxury', make: 'Porsche', model: 'Macan', seats: 5, transmission: 'automatic', fuel: 'petrol', rate: [8000, 10000], deposit: 50000 },
    ],
  },
];

/** A small deterministic PRNG (mulberry32), so generated data is the same on every run. */
export function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const weighted = <T extends { weight: number }>(items: readonly T[]): T => {
    let roll = next() * items.reduce((sum, item) => sum + item.weight, 0);
    for (const item of items) {
      roll -= item.weight;
      if (roll < 0) return item;
    }
    return items.at(-1)!;
  };
  /** A point about `km` (one standard deviation) around a centre. */
  const near = (lat: number, lng: number, km: number) => {
    const gaussian = () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
    return {
      lat: round(lat + (gaussian() * km) / 111.2, 5),
      lng: round(lng + (gaussian() * km) / (111.2 * Math.cos((lat * Math.PI) / 180)), 5),
    };
  };
  return { next, int, pick, weighted, near };
}

export function round(value: number, digits: number): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** A daily rate in satang, in 50 THB steps within the model's range. */
export function dailyRateOf(model: VehicleModel, random: ReturnType<typeof randomSource>): number {
  const [low, high] = model.rate;
  return random.int(low / 50, high / 50) * 50 * 100;
}

/** High season (Dec–Mar) is busiest, April and November shoulder, the monsoon quietest. */
export function seasonOf(month: number): 'high' | 'shoulder' | 'low' {
  if (month === 12 || month <= 3) return 'high';
  if (month === 4 || month === 11) return 'shoulder';
  return 'low';
}
