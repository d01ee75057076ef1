import { scoreSentiment, toUnitScale } from '../../../processing/sentiment/index.ts';

/** The seeds' rich buzz message (buzzline-04/05 `producer_case.py`), field for field. */
export interface BuzzMessage {
  message: string;
  author: string;
  timestamp: string;
  category: string;
  sentiment: number;
  keyword_mentioned: string;
  message_length: number;
}

export const ADJECTIVES = ['amazing', 'funny', 'boring', 'exciting', 'weird'];
export const ACTIONS = ['found', 'saw', 'tried', 'shared', 'loved'];
export const TOPICS = [
  'a movie',
  'a meme',
  'an app',
  'a trick',
  'a story',
  'Python',
  'JavaScript',
  'recipe',
  'travel',
  'game',
];
export const AUTHORS = ['Alice', 'Bob', 'Charlie', 'Eve'];
export const KEYWORD_CATEGORIES: Record<string, string> = {
  meme: 'humor',
  Python: 'tech',
  JavaScript: 'tech',
  recipe: 'food',
  travel: 'travel',
  movie: 'entertainment',
  game: 'gaming',
};

const KEYWORDS = Object.entries(KEYWORD_CATEGORIES);
/** keywordOf per topic: the generator asks about the same few topics for every message. */
const keywordCache = new Map<string, { keyword: string; category: string }>();

/** First keyword (in the map's order) contained in the topic, as the seed does; else "other". */
export function keywordOf(topic: string): { keyword: string; category: string } {
  const known = keywordCache.get(topic);
  if (known) return { ...known };
  let found = { keyword: 'other', category: 'other' };
  for (const [keyword, category] of KEYWORDS) {
    if (topic.includes(keyword)) {
      found = { keyword, category };
      break;
    }
  }
  if (keywordCache.size < MEMO_LIMIT) keywordCache.set(topic, found);
  return { ...found };
}

/** The last time formatted: a generated batch shares one clock reading. */
let lastStamp: { ms: number; text: string } | undefined;

/** `YYYY-MM-DD HH:MM:SS` in local time, the seed's `datetime.now().strftime(...)`. */
export function localTimestamp(ms: number): string {
  if (lastStamp?.ms === ms) return lastStamp.text;
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  const text = `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
  lastStamp = { ms, text };
  return text;
}

/** Entries each memo keeps at most (the generator's texts are a few hundred). */
const MEMO_LIMIT = 4096;

/** What a message's words decide, built once per (adjective, action, topic): its text, keyword, sentiment. */
interface Wording {
  message: string;
  keyword: string;
  category: string;
  sentiment: number;
}
const wordings = new Map<number, Wording>();

function wordingOf(adjective: string, action: string, topic: string, id: number): Wording {
  let w = wordings.get(id);
  if (w === undefined) {
    const message = `I just ${action} ${topic}! It was ${adjective}.`;
    const { keyword, category } = keywordOf(topic);
    // Scored from the text with VADER (the seed's stub was a random number), on the seeds' 0..1 scale.
    w = { message, keyword, category, sentiment: toUnitScale(scoreSentiment(message).compound) };
    if (wordings.size < MEMO_LIMIT) wordings.set(id, w);
  }
  return w;
}

export function buzzMessage(rand: () => number, authors: string[], now: number): BuzzMessage {
  const index = (n: number) => Math.floor(rand() * n);
  const a = index(ADJECTIVES.length);
  const b = index(ACTIONS.length);
  const c = index(TOPICS.length);
  // Keyed by the words' places (the lists are fixed), so a message costs no text built or hashed.
  const w = wordingOf(ADJECTIVES[a]!, ACTIONS[b]!, TOPICS[c]!, (a * ACTIONS.length + b) * TOPICS.length + c);
  const message = w.message;
  return {
    message,
    author: authors[index(authors.length)]!,
    timestamp: localTimestamp(now),
    category: w.category,
    sentiment: w.sentiment,
    keyword_mentioned: w.keyword,
    message_length: message.length,
  };
}
