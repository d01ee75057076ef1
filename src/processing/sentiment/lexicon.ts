import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * The VADER lexicon as the `vader-sentiment` package ships it (Apache-2.0; the lexicon is the reference's,
 * MIT). We read its file rather than keep a copy, so an update to the package is an update here.
 */
export const LEXICON_FILE = createRequire(import.meta.url).resolve('vader-sentiment/vader_lexicon.txt');

/**
 * The package's lexicon is the reference's of 2018. vaderSentiment 3.3.2 (2020) changed exactly these entries
 * (found by diffing the two files); applying them makes our scores the reference's, not the 2018 ones.
 */
export const REFERENCE_3_3_2_CHANGES: ReadonlyMap<string, number> = new Map([
  ['heart', 3.2],
  ['hearts', 3.3],
  ['badass', 1.4],
  ['flawed', -2.1],
]);

/**
 * One `token<TAB>mean<TAB>sd<TAB>ratings` line per entry, parsed as the reference's make_lex_dict does:
 * keys are kept as written (a few emoticons such as ":D" hold capitals, and since lookups lowercase the token
 * they never match, in the reference too); a later duplicate line wins.
 */
export function parseLexicon(text: string): Map<string, number> {
  const lex = new Map<string, number>();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const tab1 = line.indexOf('\t');
    if (tab1 <= 0) continue;
    const tab2 = line.indexOf('\t', tab1 + 1);
    const measure = Number(line.slice(tab1 + 1, tab2 < 0 ? undefined : tab2));
    if (Number.isFinite(measure)) lex.set(line.slice(0, tab1), measure);
  }
  return lex;
}

/** The lexicon the scorer uses: the package's file with the 3.3.2 changes applied. */
export function loadLexicon(file = LEXICON_FILE): Map<string, number> {
  const lex = parseLexicon(readFileSync(file, 'utf8'));
  for (const [word, measure] of REFERENCE_3_3_2_CHANGES) lex.set(word, measure);
  return lex;
}
