import type { ImageContentType } from './table';

/**
 * What a file really is, from its first bytes ("magic numbers"). The declared content type is
 * only what the client says; a browser or CDN that sniffs could serve HTML uploaded as a PNG.
 */

/** How many leading bytes confirm reads: WebP needs 12 ("RIFF", a 4-byte size, "WEBP"). */
export const SIGNATURE_BYTES = 16;

const JPEG = [0xff, 0xd8, 0xff];
const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const RIFF = [...Buffer.from('RIFF')];
const WEBP = [...Buffer.from('WEBP')];

function hasAt(bytes: Uint8Array, offset: number, expected: readonly number[]): boolean {
  return bytes.length >= offset + expected.length && expected.every((byte, index) => bytes[offset + index] === byte);
}

/** The photo type these first bytes announce, or undefined when they are no JPEG, PNG or WebP. */
export function imageTypeOf(firstBytes: Uint8Array): ImageContentType | undefined {
  if (hasAt(firstBytes, 0, JPEG)) return 'image/jpeg';
  if (hasAt(firstBytes, 0, PNG)) return 'image/png';
  if (hasAt(firstBytes, 0, RIFF) && hasAt(firstBytes, 8, WEBP)) return 'image/webp';
  return undefined;
}

/** What the bytes were found to be, for a problem detail: "a PNG image" or the bytes in hex. */
export function describeFirstBytes(firstBytes: Uint8Array): string {
  const type = imageTypeOf(firstBytes);
  if (type) return `a ${{ 'image/jpeg': 'JPEG', 'image/png': 'PNG', 'image/webp': 'WebP' }[type]} image`;
  if (firstBytes.length === 0) return 'an empty file';
  const hex = Buffer.from(firstBytes.subarray(0, 8))
    .toString('hex')
    .replace(/(..)(?!$)/g, '$1 ');
  return `not a JPEG, PNG or WebP image (it begins with bytes ${hex})`;
}
