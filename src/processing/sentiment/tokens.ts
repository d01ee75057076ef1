import { HASH_SEED, hashStep, type WordInfo, WordTable } from './words.ts';

/**
 * The reference's tokenisation (SentiText): split on whitespace as Python's str.split() does, strip ASCII
 * punctuation from both ends unless that leaves two characters or fewer (then the token was likely an
 * emoticon such as ":)" and is kept whole). One pass over the text fills reused typed arrays; an ASCII
 * token is looked up in place (see WordTable), so scoring such a message allocates only its result.
 */
export interface Tokens {
  count: number;
  /** '!' and '?' in the whole text, for the punctuation amplifiers. */
  bangs: number;
  questions: number;
  /** Tokens in ALL CAPS (Python's str.isupper()), for the caps differential. */
  allCaps: number;
  inLexicon: Uint8Array;
  valence: Float64Array;
  boost: Float64Array;
  /** In the negation list, or contains "n't". */
  negated: Uint8Array;
  upper: Uint8Array;
  role: Uint8Array;
  phraseWord: Uint8Array;
}

const SPACE = 1;
const PUNCT = 2;
const UPPER = 3;
const LOWER = 4;
const WIDE = 5;
/** Class of every UTF-16 unit: one table read, no branches, in the scan's inner loops. */
const CLASS = new Uint8Array(65536).fill(WIDE);
for (let c = 0; c < 128; c++) {
  if (c === 32 || (c >= 9 && c <= 13) || (c >= 28 && c <= 31)) CLASS[c] = SPACE;
  else if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126))
    CLASS[c] = PUNCT; // Python's string.punctuation
  else if (c >= 65 && c <= 90) CLASS[c] = UPPER;
  else if (c >= 97 && c <= 122) CLASS[c] = LOWER;
  else CLASS[c] = 0;
}
// Python's str.isspace() beyond ASCII.
for (const c of [0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000]) CLASS[c] = SPACE;
for (let c = 0x2000; c <= 0x200a; c++) CLASS[c] = SPACE;

/** Python's isupper() for a token with non-ASCII characters: some cased character, none lower or title case. */
function isUpperWide(text: string, a: number, b: number): boolean {
  let cased = false;
  for (let k = a; k < b; ) {
    const cp = text.codePointAt(k)!;
    k += cp > 0xffff ? 2 : 1;
    const ch = String.fromCodePoint(cp);
    if (ch.toUpperCase() !== ch) return false;
    if (ch.toLowerCase() !== ch) cased = true;
  }
  return cased;
}

/** Code points in text[a, b): Python measures the stripped token in those, not in UTF-16 units. */
function codePoints(text: string, a: number, b: number): number {
  let n = 0;
  for (let k = a; k < b; k++) {
    const c = text.charCodeAt(k);
    if (c < 0xdc00 || c > 0xdfff) n++;
  }
  return n;
}

export class Tokenizer {
  readonly tokens: Tokens;
  readonly #words: Map<string, WordInfo>;
  readonly #table: WordTable;

  constructor(words: Map<string, WordInfo>, capacity = 64) {
    this.#words = words;
    this.#table = new WordTable(words);
    this.tokens = {
      count: 0,
      bangs: 0,
      questions: 0,
      allCaps: 0,
      inLexicon: new Uint8Array(capacity),
      valence: new Float64Array(capacity),
      boost: new Float64Array(capacity),
      negated: new Uint8Array(capacity),
      upper: new Uint8Array(capacity),
      role: new Uint8Array(capacity),
      phraseWord: new Uint8Array(capacity),
    };
  }

  tokenize(text: string): Tokens {
    const t = this.tokens;
    t.count = 0;
    t.bangs = 0;
    t.questions = 0;
    t.allCaps = 0;
    const len = text.length;
    let i = 0;
    while (i < len) {
      let c = text.charCodeAt(i);
      if (CLASS[c] === SPACE) {
        i++;
        continue;
      }
      const start = i;
      do {
        if (c === 33) t.bangs++;
        else if (c === 63) t.questions++;
        if (++i >= len) break;
        c = text.charCodeAt(i);
      } while (CLASS[c] !== SPACE);
      this.#add(text, start, i);
    }
    return t;
  }

  #add(text: string, start: number, end: number): void {
    let a = start;
    let b = end;
    while (a < b && CLASS[text.charCodeAt(a)] === PUNCT) a++;
    while (b > a && CLASS[text.charCodeAt(b - 1)] === PUNCT) b--;
    if (b - a <= 2 || (b - a <= 4 && codePoints(text, a, b) <= 2)) {
      a = start;
      b = end;
    }
    let upper = false;
    let lower = false;
    let wide = false;
    let nt = false;
    let h = HASH_SEED;
    for (let k = a; k < b; k++) {
      const c = text.charCodeAt(k);
      const cls = CLASS[c];
      if (cls === LOWER) h = hashStep(h, c);
      else if (cls === UPPER) {
        h = hashStep(h, c + 32);
        upper = true;
      } else if (cls === WIDE) wide = true;
      else {
        h = hashStep(h, c);
        if (c === 39 && k > a && k + 1 < b) {
          const p = text.charCodeAt(k - 1) | 0x20;
          const q = text.charCodeAt(k + 1) | 0x20;
          if (p === 110 && q === 116) nt = true; // "n't", any case
        }
      }
      if (cls === LOWER) lower = true;
    }
    const isUpper = wide ? isUpperWide(text, a, b) : upper && !lower;
    const info = wide ? this.#words.get(text.slice(a, b).toLowerCase()) : this.#table.findAscii(text, a, b, h);

    const t = this.tokens;
    if (t.count === t.valence.length) this.#grow();
    const n = t.count++;
    if (isUpper) t.allCaps++;
    t.upper[n] = isUpper ? 1 : 0;
    if (info === undefined) {
      t.inLexicon[n] = 0;
      t.valence[n] = 0;
      t.boost[n] = 0;
      t.negated[n] = nt ? 1 : 0;
      t.role[n] = 0;
      t.phraseWord[n] = 0;
    } else {
      t.inLexicon[n] = info.inLexicon ? 1 : 0;
      t.valence[n] = info.valence;
      t.boost[n] = info.boost;
      t.negated[n] = info.negates || nt ? 1 : 0;
      t.role[n] = info.role;
      t.phraseWord[n] = info.phraseWord;
    }
  }

  #grow(): void {
    const t = this.tokens;
    const size = t.valence.length * 2;
    const grow8 = (a: Uint8Array) => {
      const b = new Uint8Array(size);
      b.set(a);
      return b;
    };
    const grow64 = (a: Float64Array) => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    t.inLexicon = grow8(t.inLexicon);
    t.valence = grow64(t.valence);
    t.boost = grow64(t.boost);
    t.negated = grow8(t.negated);
    t.upper = grow8(t.upper);
    t.role = grow8(t.role);
    t.phraseWord = grow8(t.phraseWord);
  }
}
