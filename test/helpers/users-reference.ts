/**
 * Plain references for the users app's name models (src/apps/users): slow and obvious, with strings,
 * substrings and maps, for the tests to check the fast code against.
 */

/** FNV-1a (32-bit) over a string's UTF-16 code units. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/** Every n-gram of "^name$" (the name trimmed, lower-cased, NFC, cut to 64) as a substring, hashed and masked. */
export function refFeatures(name: string, bits: number, [lo, hi]: [number, number]): number[] {
  const padded = `^${name.trim().toLowerCase().normalize('NFC').slice(0, 64)}$`;
  const out: number[] = [];
  for (let i = 0; i < padded.length; i++) {
    for (let n = lo; n <= hi && i + n <= padded.length; n++) {
      const h = fnv1a(padded.slice(i, i + n));
      out.push((h ^ (h >>> 16)) & ((1 << bits) - 1));
    }
  }
  return out;
}

/** How often each index occurs. */
export function counts(features: number[]): Map<number, number> {
  const c = new Map<number, number>();
  for (const j of features) c.set(j, (c.get(j) ?? 0) + 1);
  return c;
}

/** A typed array of a model state, decoded from base64. */
export function decodeBase64<T>(b64: string, As: new (b: ArrayBuffer) => T): T {
  return new As(new Uint8Array(Buffer.from(b64, 'base64')).buffer);
}
