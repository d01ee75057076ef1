/**
 * Varied short texts for checking the VADER scorer against other implementations, and for its benchmark.
 * Each is a soup of the constructs the rules react to: lexicon words, boosters and dampeners, negations,
 * "but", "least", "kind of", idioms, ALL CAPS, attached punctuation, '!' and '?' runs, emoticons.
 *
 * mode 'js-port' leaves out what the `vader-sentiment` package (a port of an older vaderSentiment) handles
 * differently from the reference vaderSentiment 3.3.2, so both must agree on every text:
 * - it drops one-character tokens ("I", "a", "!") and strips only one listed punctuation mark from one side;
 * - it lacks the 3.3.2 boosters (e.g. "total", "major", "incredible"), the "no" rule, "without doubt",
 *   and the idioms "bus stop", "to die for", "beating heart", "broken heart"; it has "cut the mustard" and
 *   "hand to mouth", which 3.3.2 lists as future work;
 * - it scales "never so X" by 1.5 where 3.3.2 uses 1.25;
 * - it compares negations, "but" and idioms case-sensitively ("Not", "BUT" do not count there);
 * - its "but" rule scales by position, where 3.3.2 finds each value's first occurrence (list.index); texts
 *   with "but" therefore use only lexicon words of odd tenths (no idioms, no emoticons), whose halves and 1.5
 *   multiples equal no other value;
 * - its lexicon predates 3.3.2's changes to "heart", "hearts", "badass" and "flawed".
 * mode 'full' uses all of it, plus one-letter words, capitalised sentence starts, Unicode letters and spaces.
 */
import { mulberry32 } from '../../src/connectors/sources/pacing.ts';
import { BOOSTERS, NEGATE } from '../../src/processing/sentiment/rules.ts';

export type SentenceMode = 'js-port' | 'full';

/** Boosters the JS port knows (the 2018 list). */
const PORT_BOOSTERS =
  'absolutely amazingly awfully completely considerably decidedly deeply effing enormously entirely especially ' +
  'exceptionally extremely fabulously flipping flippin fricking frickin frigging friggin fully fucking greatly hella ' +
  'highly hugely incredibly intensely majorly more most particularly purely quite really remarkably so ' +
  'substantially thoroughly totally tremendously uber unbelievably unusually utterly very almost barely hardly kinda ' +
  'kindof kind-of less little marginally occasionally partly scarcely slightly somewhat sorta sortof sort-of';
const PORT_UNSAFE_WORDS = new Set(
  'no never doubt without heart hearts badass flawed cut hand mouth mustard stop bus die beating broken'.split(' '),
);
const SPECIAL_WORDS =
  /^(but|so|this|kind|of|least|at|very|the|shit|bomb|bad|ass|yeah|right|kiss|death|sort|just|enough)$/;
const FILLERS =
  'the movie app book plot day service people was is are were it this that and with for of to at about today ' +
  'characters dialog story we they he she seems looks felt became my your our their sentence VADER Python';
const EMOTICONS = [':)', ':(', ':-)', ':D', ';)', '<3', ':/', ':P', '=)', '^_^', ':-(', 'xD'];
const IDIOMS_BOTH = ['the shit', 'the bomb', 'bad ass', 'yeah right', 'kiss of death'];
const IDIOMS_FULL = ['bus stop', 'to die for', 'beating heart', 'broken heart', 'badass', 'cut the mustard'];
const PORT_TRAILING = [',', '.', '!', '?', ';', ':', '!!', '!!!', '??', '???', '?!?'];
const FULL_PUNCT = ['!!!!', '...', '?!', '"', ')', '),', "'", '!?!?!'];
const UNICODE = ['café', 'ÜBER', 'naïve', 'ΣΟΦΟΣ', 'καλό', '中文', 'résumé', 'Ärger', 'straße', 'ÉNORME'];

interface Pools {
  lexicon: string[];
  oddTenths: string[];
  boosters: string[];
  negations: string[];
  fillers: string[];
}

function pools(lexicon: Map<string, number>, mode: SentenceMode): Pools {
  const port = mode === 'js-port';
  const boosterSet = port ? new Set(PORT_BOOSTERS.split(' ')) : new Set(BOOSTERS.keys());
  const usable = (w: string) =>
    !BOOSTERS.has(w) && !NEGATE.includes(w) && !(port && (PORT_UNSAFE_WORDS.has(w) || !/^[a-z]{3,}$/.test(w)));
  const words = [...lexicon.keys()].filter(usable);
  return {
    lexicon: words,
    oddTenths: words.filter((w) => Math.round(Math.abs(lexicon.get(w)! * 10)) % 2 === 1),
    boosters: [...boosterSet, 'kind of', 'sort of', 'just enough'],
    negations: NEGATE.filter((w) => !(port && PORT_UNSAFE_WORDS.has(w))),
    fillers: FILLERS.split(' ').filter((w) => !lexicon.has(w.toLowerCase()) && !BOOSTERS.has(w)),
  };
}

/** `count` texts, the same for the same seed. `lexicon` is the VADER lexicon (the package's file by default). */
export function sentences(count: number, mode: SentenceMode, seed: number, lexicon: Map<string, number>): string[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  const p = pools(lexicon, mode);
  const full = mode === 'full';
  const out: string[] = [];
  for (let s = 0; s < count; s++) {
    const withBut = rand() < 0.25;
    // In 'js-port' texts with "but", only odd-tenth valences: idioms (3) and emoticons can collide too.
    const oddOnly = withBut && !full;
    const lexPool = oddOnly ? p.oddTenths : p.lexicon;
    const words: string[] = [];
    const clauses = 1 + Math.floor(rand() * 3);
    for (let c = 0; c < clauses; c++) {
      const fill = Math.floor(rand() * 3);
      for (let f = 0; f < fill; f++) words.push(pick(p.fillers));
      const r = rand();
      if (r < 0.25) words.push(pick(p.negations));
      else if (r < 0.3) words.push(pick(['least', 'at least', 'very least']));
      else if (full && r < 0.4) words.push(pick(['no', 'never so', 'never this', 'without doubt', 'no x or', 'nor']));
      if (rand() < 0.4) words.push(pick(p.boosters));
      if (rand() < 0.15) words.push(pick(p.boosters));
      const k = oddOnly ? 1 : rand();
      if (k < 0.08) words.push(pick(IDIOMS_BOTH));
      else if (full && k < 0.14) words.push(pick(IDIOMS_FULL));
      else if (k < 0.22) words.push(pick(EMOTICONS));
      else words.push(pick(lexPool));
      if (withBut && c === 0) words.push('but');
      if (rand() < 0.3) words.push(pick(p.fillers));
    }
    if (full) {
      if (rand() < 0.2)
        words.splice(Math.floor(rand() * words.length), 0, pick(['I', 'a', 'u', '!', '-', 'ok!', 'no!']));
      if (rand() < 0.1) words.splice(Math.floor(rand() * words.length), 0, pick(UNICODE));
    }
    const tokens = words.join(' ').split(' ');
    for (let t = 0; t < tokens.length; t++) {
      let w = tokens[t]!;
      const plain = /^[a-z]{3,}$/i.test(w);
      // Words the port compares case-sensitively (negations, "but", idioms) stay lowercase in 'js-port'.
      const special = SPECIAL_WORDS.test(w) || NEGATE.includes(w);
      if (rand() < 0.15 && (full || (plain && !special))) w = w.toUpperCase();
      if (full && t === 0 && rand() < 0.5) w = w[0]!.toUpperCase() + w.slice(1);
      if (rand() < 0.2 && (full || plain)) {
        if (full && rand() < 0.3) w = pick(['"', '(', "'", '*']) + w + pick(FULL_PUNCT);
        else if (rand() < 0.2) w = `"${w}`;
        else w += pick(full ? [...PORT_TRAILING, ...FULL_PUNCT] : PORT_TRAILING);
      }
      tokens[t] = w;
    }
    if (rand() < 0.3) tokens.push(pick(['!!', '??', '?!?', '!!!']));
    const sep = full && rand() < 0.1 ? pick(['  ', '\t', '\u00a0', '\n']) : ' ';
    out.push(tokens.join(sep));
  }
  return out;
}
