import { describe, expect, it } from 'vitest';
import { describeFirstBytes, imageTypeOf } from '#core/cars/image-signatures';

const bytes = (...values: Array<number | string>) =>
  Buffer.concat(values.map((value) => (typeof value === 'string' ? Buffer.from(value) : Buffer.from([value]))));

describe('what a file is, by its first bytes', () => {
  it('knows JPEG (FF D8 FF), PNG (89 PNG CR LF SUB LF) and WebP (RIFF, size, WEBP)', () => {
    expect(imageTypeOf(bytes(0xff, 0xd8, 0xff, 0xe0))).toBe('image/jpeg');
    expect(imageTypeOf(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13))).toBe('image/png');
    expect(imageTypeOf(bytes('RIFF', 0x1a, 0, 0, 0, 'WEBPVP8L'))).toBe('image/webp');
  });

  it('knows nothing else, nor a signature cut short', () => {
    for (const start of [
      bytes('<!DOCTYPE html>'),
      bytes('GIF89a'),
      bytes('RIFF', 36, 0, 0, 0, 'WAVEfmt '),
      bytes(0xff, 0xd8),
      bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a),
      bytes('RIFF', 0x1a, 0, 0, 0, 'WEB'),
      bytes(),
    ]) {
      expect(imageTypeOf(start), start.toString('hex')).toBeUndefined();
    }
  });

  it('describes what it found for a problem detail', () => {
    expect(describeFirstBytes(bytes(0x89, 'PNG', 0x0d, 0x0a, 0x1a, 0x0a))).toBe('a PNG image');
    expect(describeFirstBytes(bytes('<!DOCTYPE html>'))).toBe('not a JPEG, PNG or WebP image (it begins with bytes 3c 21 44 4f 43 54 59 50)');
    expect(describeFirstBytes(bytes())).toBe('an empty file');
  });
});
