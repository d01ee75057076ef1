/**
 * VADER's rule tables and constants, as in the reference vaderSentiment 3.3.2 (Hutto & Gilbert 2014, MIT).
 * The word lists are the reference's, so scores stay comparable with every other VADER; the lexicon itself
 * comes from the `vader-sentiment` package (see lexicon.ts).
 */

/** Mean rating increase for a booster word ("very"), and decrease for a dampener ("barely"). */
export const B_INCR = 0.293;
export const B_DECR = -0.293;
/** Mean rating increase for a sentiment word in ALL CAPS among words that are not. */
export const C_INCR = 0.733;
/** A negated word's valence is multiplied by this. */
export const N_SCALAR = -0.74;
/** normalize(): score / sqrt(score² + ALPHA), roughly the largest expected raw score. */
export const ALPHA = 15;

export const NEGATE: readonly string[] = [
  'aint',
  'arent',
  'cannot',
  'cant',
  'couldnt',
  'darent',
  'didnt',
  'doesnt',
  "ain't",
  "aren't",
  "can't",
  "couldn't",
  "daren't",
  "didn't",
  "doesn't",
  'dont',
  'hadnt',
  'hasnt',
  'havent',
  'isnt',
  'mightnt',
  'mustnt',
  'neither',
  "don't",
  "hadn't",
  "hasn't",
  "haven't",
  "isn't",
  "mightn't",
  "mustn't",
  'neednt',
  "needn't",
  'never',
  'none',
  'nope',
  'nor',
  'not',
  'nothing',
  'nowhere',
  'oughtnt',
  'shant',
  'shouldnt',
  'uhuh',
  'wasnt',
  'werent',
  "oughtn't",
  "shan't",
  "shouldn't",
  'uh-uh',
  "wasn't",
  "weren't",
  'without',
  'wont',
  'wouldnt',
  "won't",
  "wouldn't",
  'rarely',
  'seldom',
  'despite',
];

const INCR_WORDS =
  'absolutely amazingly awfully completely considerable considerably decidedly deeply effing enormous enormously ' +
  'entirely especially exceptional exceptionally extreme extremely fabulously flipping flippin frackin fracking ' +
  'fricking frickin frigging friggin fully fuckin fucking fuggin fugging greatly hella highly hugely incredible ' +
  'incredibly intensely major majorly more most particularly purely quite really remarkably so substantially ' +
  'thoroughly total totally tremendous tremendously uber unbelievably unusually utter utterly very';
const DECR_WORDS =
  'almost barely hardly kinda kindof kind-of less little marginal marginally occasional occasionally partly ' +
  'scarce scarcely slight slightly somewhat sorta sortof sort-of';

/** Single-word boosters and dampeners ("intensifiers", degree adverbs). */
export const BOOSTERS: ReadonlyMap<string, number> = new Map([
  ...INCR_WORDS.split(' ').map((w): [string, number] => [w, B_INCR]),
  ...DECR_WORDS.split(' ').map((w): [string, number] => [w, B_DECR]),
]);

/** Two-word dampeners: the reference keeps them in the booster table, where only the idiom check can meet them. */
export const BOOSTER_BIGRAMS: ReadonlyMap<string, number> = new Map([
  ['just enough', B_DECR],
  ['kind of', B_DECR],
  ['sort of', B_DECR],
]);

/**
 * Phrases containing lexicon words whose meaning is not the sum of their words. The reference also lists
 * "badass" here, which can never match (its check only builds phrases of two or three words); so it is left out.
 */
export const SPECIAL_CASES: ReadonlyMap<string, number> = new Map([
  ['the shit', 3],
  ['the bomb', 3],
  ['bad ass', 1.5],
  ['bus stop', 0.0],
  ['yeah right', -2],
  ['kiss of death', -1.5],
  ['to die for', 3],
  ['beating heart', 3.1],
  ['broken heart', -2.9],
]);
