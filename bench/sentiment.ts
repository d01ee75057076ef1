/**
 * `node bench/sentiment.ts`: short messages/s scored with VADER by runnel's scorer (src/processing/sentiment)
 * and by the `vader-sentiment` package (the JS port), on the same messages in the same run. The messages are
 * the buzz generator's plus varied generated texts (test/helpers/sentences.ts). Figures, not assertions.
 */
import vader from 'vader-sentiment';
import { AUTHORS, buzzMessage } from '../src/connectors/sources/generator/buzz-message.ts';
import { mulberry32 } from '../src/connectors/sources/pacing.ts';
import { scoreSentiment } from '../src/processing/sentiment/index.ts';
import { loadLexicon } from '../src/processing/sentiment/lexicon.ts';
import { sentences } from '../test/helpers/sentences.ts';

const ROUNDS = 7;

function messages(n: number): string[] {
  const rand = mulberry32(1);
  const buzz = Array.from({ length: n / 2 }, () => buzzMessage(rand, AUTHORS, 0).message);
  return [...buzz, ...sentences(n / 2, 'full', 2, loadLexicon())];
}

/**
 * Median messages/s of ROUNDS rounds, each `repeat` passes over all messages, by the wall clock and per
 * second of this process's CPU time (the machine is shared, so the first can undercount). The compounds are
 * summed so no pass is dead code.
 */
function measure(texts: string[], repeat: number, score: (t: string) => { compound: number }): [number, number] {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    let sum = 0;
    for (let k = 0; k < repeat; k++) for (const text of texts) sum += score(text).compound;
    if (Number.isNaN(sum)) throw new Error('NaN compound');
    const used = process.cpuUsage(c);
    wall.push(Math.round((repeat * texts.length * 1000) / (performance.now() - t)));
    cpu.push(Math.round((repeat * texts.length * 1e6) / (used.user + used.system)));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  return [median(wall), median(cpu)];
}

export function benchSentiment(): Array<[string, number, string]> {
  // Few enough that the port's passes take seconds; ours repeats them to time a steady state.
  const texts = messages(6_000);
  const chars = texts.reduce((n, t) => n + t.length, 0) / texts.length;
  const port = vader.SentimentIntensityAnalyzer;
  const [base, baseCpu] = measure(texts, 1, (t) => port.polarity_scores(t));
  const [ours, oursCpu] = measure(texts, 20, scoreSentiment);
  const x = (a: number, b: number) => `${(a / b).toFixed(1)}×`;
  return [
    [
      'sentiment: runnel VADER',
      ours,
      `${x(ours, base)} vader-sentiment (goal ≥ 200k/s); per CPU second ${oursCpu}, ${x(oursCpu, baseCpu)}`,
    ],
    [
      'sentiment: vader-sentiment (JS port)',
      base,
      `baseline; per CPU second ${baseCpu}; messages average ${chars.toFixed(0)} chars`,
    ],
  ];
}

if (import.meta.main) {
  for (const [name, rate, note] of benchSentiment()) {
    console.log(`${name.padEnd(42)} ${String(rate).padStart(9)} msg/s   ${note}`);
  }
}
