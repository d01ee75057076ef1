import { loadLexicon } from './lexicon.ts';
import { BOOSTER_BIGRAMS, BOOSTERS, NEGATE, SPECIAL_CASES } from './rules.ts';

/**
 * Everything the rules need to know about a lowercased word, from ONE map lookup per token: its valence,
 * whether it boosts or negates, which rule names it, and its id within the idiom phrases. The scorer never
 * compares strings after this lookup.
 */
export interface WordInfo {
  inLexicon: boolean;
  valence: number;
  boost: number;
  negates: boolean;
  role: number;
  phraseWord: number;
}

/** Words the rules test by name. */
export const Role = {
  none: 0,
  no: 1,
  or: 2,
  nor: 3,
  kind: 4,
  of: 5,
  least: 6,
  at: 7,
  very: 8,
  never: 9,
  so: 10,
  this: 11,
  without: 12,
  doubt: 13,
  but: 14,
} as const;

const PHRASE_ID_BITS = 6;

/** Numeric key of a two- or three-word phrase from its words' ids, or -1 if any is not a phrase word. */
export function phraseKey(a: number, b: number, c = -1): number {
  if (a === 0 || b === 0 || c === 0) return -1;
  const two = (a << PHRASE_ID_BITS) | b;
  return c < 0 ? two : (1 << 20) | (two << PHRASE_ID_BITS) | c;
}

export interface Vocabulary {
  words: Map<string, WordInfo>;
  /** SPECIAL_CASES and the booster bigrams, keyed by phraseKey. */
  specialCases: Map<number, number>;
  boosterBigrams: Map<number, number>;
}

export function buildVocabulary(lexicon: Map<string, number> = loadLexicon()): Vocabulary {
  const words = new Map<string, WordInfo>();
  const info = (w: string): WordInfo => {
    let i = words.get(w);
    if (!i) {
      const valence = lexicon.get(w);
      i = {
        inLexicon: valence !== undefined,
        valence: valence ?? 0,
        boost: 0,
        negates: false,
        role: Role.none,
        phraseWord: 0,
      };
      words.set(w, i);
    }
    return i;
  };
  for (const w of lexicon.keys()) info(w);
  for (const [w, b] of BOOSTERS) info(w).boost = b;
  for (const w of NEGATE) info(w).negates = true;
  for (const [name, role] of Object.entries(Role)) if (role !== Role.none) info(name).role = role;

  let nextId = 1;
  const phrase = (text: string): number => {
    const ids = text.split(' ').map((w) => {
      const i = info(w);
      if (i.phraseWord === 0) i.phraseWord = nextId++;
      return i.phraseWord;
    });
    if (nextId >= 1 << PHRASE_ID_BITS) throw new Error('too many idiom words for the phrase key');
    return phraseKey(ids[0]!, ids[1]!, ids[2] ?? -1);
  };
  const specialCases = new Map<number, number>();
  for (const [text, v] of SPECIAL_CASES) specialCases.set(phrase(text), v);
  const boosterBigrams = new Map<number, number>();
  for (const [text, v] of BOOSTER_BIGRAMS) boosterBigrams.set(phrase(text), v);
  return { words, specialCases, boosterBigrams };
}

/** FNV-1a over UTF-16 units: the scorer hashes a token while it scans it, so finding it needs no string. */
export const HASH_SEED = 0x811c9dc5 | 0;
export const hashStep = (h: number, c: number): number => Math.imul(h ^ c, 0x01000193);

/**
 * The vocabulary as an open-addressing hash table searched straight from the text: an ASCII token is
 * looked up by its lowercased characters in place, with no slice, no toLowerCase and no Map hashing.
 * (Tokens with other characters go through the Map, lowercased as Python's str.lower() would.)
 */
export class WordTable {
  readonly #slots: Int32Array;
  readonly #mask: number;
  readonly #keys: string[] = [];
  readonly #infos: WordInfo[] = [];
  readonly #hashes: number[] = [];

  constructor(words: Map<string, WordInfo>) {
    let size = 1024;
    while (size < words.size * 4) size *= 2;
    this.#slots = new Int32Array(size);
    this.#mask = size - 1;
    for (const [key, info] of words) {
      let h = HASH_SEED;
      for (let k = 0; k < key.length; k++) h = hashStep(h, key.charCodeAt(k));
      let s = h & this.#mask;
      while (this.#slots[s] !== 0) s = (s + 1) & this.#mask;
      this.#slots[s] = this.#keys.push(key);
      this.#infos.push(info);
      this.#hashes.push(h);
    }
  }

  /** The entry for text[a, b) lowercased (ASCII only), whose hash the caller computed with hashStep. */
  findAscii(text: string, a: number, b: number, h: number): WordInfo | undefined {
    const len = b - a;
    for (let s = h & this.#mask; ; s = (s + 1) & this.#mask) {
      const e = this.#slots[s]!;
      if (e === 0) return undefined;
      if (this.#hashes[e - 1] !== h) continue;
      const key = this.#keys[e - 1]!;
      if (key.length !== len) continue;
      let k = 0;
      while (k < len) {
        const c = text.charCodeAt(a + k);
        if ((c >= 65 && c <= 90 ? c + 32 : c) !== key.charCodeAt(k)) break;
        k++;
      }
      if (k === len) return this.#infos[e - 1];
    }
  }
}
