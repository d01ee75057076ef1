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

/** First keyword (in the map's order) contained in the topic, as the seed does; else "other". */
export function keywordOf(topic: string): { keyword: string; category: string } {
  for (const [keyword, category] of Object.entries(KEYWORD_CATEGORIES)) {
    if (topic.includes(keyword)) return { keyword, category };
  }
  return { keyword: 'other', category: 'other' };
}

/** `YYYY-MM-DD HH:MM:SS` in local time, the seed's `datetime.now().strftime(...)`. */
export function localTimestamp(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function buzzMessage(rand: () => number, authors: string[], now: number): BuzzMessage {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  const adjective = pick(ADJECTIVES);
  const action = pick(ACTIONS);
  const topic = pick(TOPICS);
  const message = `I just ${action} ${topic}! It was ${adjective}.`;
  const { keyword, category } = keywordOf(topic);
  return {
    message,
    author: pick(authors),
    timestamp: localTimestamp(now),
    category,
    // Random like the seed's stub; a later sentiment processor scores the text itself.
    sentiment: Math.round(rand() * 100) / 100,
    keyword_mentioned: keyword,
    message_length: message.length,
  };
}
