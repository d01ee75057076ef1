import { ALPHA, C_INCR, N_SCALAR } from './rules.ts';
import { Tokenizer, type Tokens } from './tokens.ts';
import { buildVocabulary, phraseKey, Role, type Vocabulary } from './words.ts';

/** VADER's scores for one text: shares of negative, neutral and positive words, and the normalised compound. */
export interface SentimentScores {
  neg: number;
  neu: number;
  pos: number;
  /** -1 (most negative) .. 1 (most positive); VADER calls >= 0.05 positive and <= -0.05 negative. */
  compound: number;
}

/**
 * VADER (Hutto & Gilbert 2014) rule for rule as the reference vaderSentiment 3.3.2 applies it, written so a
 * short message costs one pass over its characters and one map lookup per word. Each step names the
 * reference function it mirrors, so the two can be read side by side.
 */
export class VaderScorer {
  readonly #vocab: Vocabulary;
  readonly #tokenizer: Tokenizer;
  #sentiments = new Float64Array(64);

  constructor(vocab: Vocabulary = buildVocabulary()) {
    this.#vocab = vocab;
    this.#tokenizer = new Tokenizer(vocab.words);
  }

  score(text: string): SentimentScores {
    const t = this.#tokenizer.tokenize(text);
    const n = t.count;
    if (n === 0) return { neg: 0, neu: 0, pos: 0, compound: 0 };
    if (this.#sentiments.length < n) this.#sentiments = new Float64Array(t.valence.length);
    const s = this.#sentiments;
    // allcap_differential: some words, but not all, are in ALL CAPS.
    const capDiff = t.allCaps > 0 && t.allCaps < n;
    for (let i = 0; i < n; i++) {
      // polarity_scores: boosters and "kind of" carry no valence of their own.
      if (t.boost[i] !== 0 || (i < n - 1 && t.role[i] === Role.kind && t.role[i + 1] === Role.of)) s[i] = 0;
      else s[i] = t.inLexicon[i] ? this.#valence(t, i, capDiff) : 0;
    }
    butCheck(t, s);
    return scoreValence(t, s);
  }

  /** sentiment_valence, for a token in the lexicon. */
  #valence(t: Tokens, i: number, capDiff: boolean): number {
    const n = t.count;
    const r = t.role;
    let v = t.valence[i]!;
    // "no" before another lexicon word negates it instead of counting itself.
    if (r[i] === Role.no && i !== n - 1 && t.inLexicon[i + 1]) v = 0;
    if (
      (i > 0 && r[i - 1] === Role.no) ||
      (i > 1 && r[i - 2] === Role.no) ||
      (i > 2 && r[i - 3] === Role.no && (r[i - 1] === Role.or || r[i - 1] === Role.nor))
    ) {
      v = t.valence[i]! * N_SCALAR;
    }
    if (t.upper[i] && capDiff) v = v > 0 ? v + C_INCR : v - C_INCR;

    for (let back = 0; back < 3; back++) {
      const j = i - back - 1;
      if (i <= back || t.inLexicon[j]) continue;
      // scalar_inc_dec, damped by distance.
      let sc = t.boost[j]!;
      if (sc !== 0) {
        if (v < 0) sc = -sc;
        if (t.upper[j] && capDiff) sc = v > 0 ? sc + C_INCR : sc - C_INCR;
        if (back === 1) sc *= 0.95;
        else if (back === 2) sc *= 0.9;
      }
      v = negationCheck(t, v + sc, back, i);
      if (back === 2) v = this.#specialIdioms(t, v, i);
    }
    return leastCheck(t, v, i);
  }

  /** _special_idioms_check (only ever reached with i >= 3). */
  #specialIdioms(t: Tokens, v: number, i: number): number {
    const p = t.phraseWord;
    const n = t.count;
    const last = i + 2 < n ? i + 2 : n - 1;
    let any = false;
    for (let k = i - 3; k <= last; k++) if (p[k]) any = true;
    if (!any) return v;
    const special = this.#vocab.specialCases;
    const w0 = p[i]!;
    const w1 = p[i - 1]!;
    const w2 = p[i - 2]!;
    const w3 = p[i - 3]!;
    // The first of these that is a special case wins: (i-1 i), (i-2 i-1 i), (i-2 i-1), (i-3 i-2 i-1), (i-3 i-2).
    const found =
      special.get(phraseKey(w1, w0)) ??
      special.get(phraseKey(w2, w1, w0)) ??
      special.get(phraseKey(w2, w1)) ??
      special.get(phraseKey(w3, w2, w1)) ??
      special.get(phraseKey(w3, w2));
    if (found !== undefined) v = found;
    // Then phrases that start at the word override.
    if (n - 1 > i) v = special.get(phraseKey(w0, p[i + 1]!)) ?? v;
    if (n - 1 > i + 1) v = special.get(phraseKey(w0, p[i + 1]!, p[i + 2]!)) ?? v;
    // Dampener bigrams ("kind of", "sort of") just before the word; (i-3 i-2 i-1) is checked too, in vain.
    const bigrams = this.#vocab.boosterBigrams;
    v += bigrams.get(phraseKey(w3, w2)) ?? 0;
    v += bigrams.get(phraseKey(w2, w1)) ?? 0;
    return v;
  }
}

/** _negation_check, for the word `back + 1` places before token i. */
function negationCheck(t: Tokens, v: number, back: number, i: number): number {
  const r = t.role;
  const soOrThis = (k: number) => r[k] === Role.so || r[k] === Role.this;
  if (back === 0) return t.negated[i - 1] ? v * N_SCALAR : v;
  if (back === 1) {
    if (r[i - 2] === Role.never && soOrThis(i - 1)) return v * 1.25;
    if (r[i - 2] === Role.without && r[i - 1] === Role.doubt) return v;
    return t.negated[i - 2] ? v * N_SCALAR : v;
  }
  if ((r[i - 3] === Role.never && soOrThis(i - 2)) || soOrThis(i - 1)) return v * 1.25;
  if (r[i - 3] === Role.without && (r[i - 2] === Role.doubt || r[i - 1] === Role.doubt)) return v;
  return t.negated[i - 3] ? v * N_SCALAR : v;
}

/** _least_check: "least" before a word negates it, except in "at least" and "very least". */
function leastCheck(t: Tokens, v: number, i: number): number {
  if (i === 0 || t.role[i - 1] !== Role.least || t.inLexicon[i - 1]) return v;
  if (i > 1 && (t.role[i - 2] === Role.at || t.role[i - 2] === Role.very)) return v;
  return v * N_SCALAR;
}

/**
 * _but_check: words before the first "but" count half, words after it one and a half. The reference finds
 * each word's position with list.index(value), i.e. the FIRST equal value, so a value repeated across the
 * "but" (or one equal to an already scaled value) scales the earlier slot again. We keep that quirk on
 * purpose: following the reference is the point, and it is what the published figures were computed with.
 */
function butCheck(t: Tokens, s: Float64Array): void {
  const n = t.count;
  let bi = -1;
  for (let k = 0; k < n; k++) {
    if (t.role[k] === Role.but) {
      bi = k;
      break;
    }
  }
  if (bi < 0) return;
  for (let k = 0; k < n; k++) {
    const v = s[k]!;
    let si = 0;
    while (s[si] !== v) si++;
    if (si < bi) s[si] = v * 0.5;
    else if (si > bi) s[si] = v * 1.5;
  }
}

/** score_valence: punctuation emphasis, normalisation and the positive/negative/neutral shares. */
function scoreValence(t: Tokens, s: Float64Array): SentimentScores {
  const n = t.count;
  let sum = 0;
  for (let k = 0; k < n; k++) sum += s[k]!;
  // _amplify_ep (up to 4 '!') and _amplify_qm (2 or 3 '?', or a flat 0.96 for more).
  const q = t.questions;
  const punct = Math.min(t.bangs, 4) * 0.292 + (q > 1 ? (q <= 3 ? q * 0.18 : 0.96) : 0);
  if (sum > 0) sum += punct;
  else if (sum < 0) sum -= punct;
  let compound = sum / Math.sqrt(sum * sum + ALPHA);
  if (compound < -1) compound = -1;
  else if (compound > 1) compound = 1;

  let posSum = 0;
  let negSum = 0;
  let neutral = 0;
  for (let k = 0; k < n; k++) {
    const v = s[k]!;
    if (v > 0) posSum += v + 1;
    else if (v < 0) negSum += v - 1;
    else neutral++;
  }
  if (posSum > -negSum) posSum += punct;
  else if (posSum < -negSum) negSum -= punct;
  const total = posSum - negSum + neutral;
  return {
    neg: roundHalfEven(-negSum / total, 1e3),
    neu: roundHalfEven(neutral / total, 1e3),
    pos: roundHalfEven(posSum / total, 1e3),
    compound: roundHalfEven(compound, 1e4),
  };
}

/** Python's round(x, digits) rounds exact halves to even; Math.round would round them up. */
export function roundHalfEven(x: number, scale: number): number {
  const y = x * scale;
  let r = Math.round(y);
  if (r - y === 0.5 && r % 2 !== 0) r -= 1;
  return r / scale + 0; // + 0 turns -0 into 0
}
