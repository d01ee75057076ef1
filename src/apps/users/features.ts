/**
 * What the users app's name models share: a name's character n-grams hashed into buckets, and the typed
 * arrays of their states as base64.
 *
 * The name is lower-cased and NFC-normalised, and diacritics are kept: they carry the signal (Turkish ş,
 * Nordic ø, Spanish -ía), and stripping them would merge distinct names. NFC makes a composed and a
 * decomposed "é" the same letters.
 */
import { ErrorCodes, RunnelError } from '../../index.ts';

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const START = 0x5e; // '^'
const END = 0x24; // '$'
const NON_ASCII = /[\u0080-\uffff]/;
/** Longer names are cut: no real name is longer, and a record from a file must not make one step slow. */
export const MAX_NAME_CHARS = 64;

/** Lower-cased, NFC-normalised and cut to MAX_NAME_CHARS (see the header); ASCII skips the normalising. */
export function normaliseName(name: string): string {
  const lower = name.trim().toLowerCase();
  return (NON_ASCII.test(lower) ? lower.normalize('NFC') : lower).slice(0, MAX_NAME_CHARS);
}

export interface HashingOptions {
  /** log2 of the number of buckets. */
  bits: number;
  /** Shortest and longest n-gram, over "^name$". */
  ngrams: [number, number];
}

export function checkHashing({ bits, ngrams: [lo, hi] }: HashingOptions): void {
  if (!Number.isInteger(bits) || bits < 1 || bits > 28)
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'bits must be 1..28');
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi < lo) {
    throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'ngrams must be [lo, hi] with 1 <= lo <= hi');
  }
}

/**
 * Hashes names into a reused buffer: nothing is allocated per n-gram. `hash(name)` fills `buf` with the
 * bucket of every n-gram of "^name$" (by start, then length) and returns how many. Each is FNV-1a over its
 * UTF-16 code units, computed incrementally as the n-gram grows, folded (high half into low) and masked.
 */
export class NgramHasher {
  readonly mask: number;
  private readonly lo: number;
  private readonly hi: number;
  private buffer = new Int32Array(64);

  constructor(opts: HashingOptions) {
    checkHashing(opts);
    this.mask = (1 << opts.bits) - 1;
    [this.lo, this.hi] = opts.ngrams;
  }

  /** The last name's buckets (its first `hash()` entries); read it after hashing, which may replace it. */
  get buf(): Int32Array {
    return this.buffer;
  }

  hash(name: string): number {
    const s = normaliseName(name);
    const len = s.length + 2;
    const { lo, hi, mask } = this;
    let need = 0;
    for (let n = lo; n <= hi; n++) need += Math.max(0, len - n + 1);
    if (need > this.buffer.length) this.buffer = new Int32Array(Math.max(need, this.buffer.length * 2));
    const buf = this.buffer;
    let m = 0;
    for (let i = 0; i < len; i++) {
      let h = FNV_OFFSET;
      const top = Math.min(hi, len - i);
      for (let n = 1; n <= top; n++) {
        const p = i + n - 1;
        const c = p === 0 ? START : p === len - 1 ? END : s.charCodeAt(p - 1);
        h = Math.imul(h ^ c, FNV_PRIME);
        if (n >= lo) buf[m++] = (h ^ (h >>> 16)) & mask;
      }
    }
    return m;
  }
}

/** A name has a few dozen features: insertion sort beats a general sort and allocates nothing. */
export function sortFeatures(a: Int32Array, m: number): void {
  for (let i = 1; i < m; i++) {
    const v = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > v) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = v;
  }
}

/** Little-endian, as every machine Node runs on. */
export function toBase64(a: Int32Array | Float64Array): string {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
}

/** A fresh, aligned buffer (a Buffer's own may start at any offset, which a Float64Array refuses). */
export function fromBase64(s: string): ArrayBuffer {
  const bytes = Buffer.from(s, 'base64');
  const out = new ArrayBuffer(bytes.length);
  new Uint8Array(out).set(bytes);
  return out;
}

/** log(1 + e^x) without overflow. */
export function softplus(x: number): number {
  return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
}
