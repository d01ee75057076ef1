/**
 * An offline stand-in for https://randomuser.me/api/ (version 1.4): the same response shape, seeded and
 * deterministic per (seed, page) as the real service is, so the users app runs without internet and a
 * restart re-reads exactly the page it left off.
 *
 * Names, streets, cities, states, postcodes and phones come from @faker-js/faker's locale for each of the
 * API's nationalities. First names are drawn from the locale's male or female list, so gender is learnable
 * from a first name as it is in real data (what the users app's model needs). The rest (usernames, ids,
 * pictures, time zones) follows randomuser's own formats.
 */

import { hash } from 'node:crypto';
import {
  allLocales,
  base,
  en,
  Faker,
  generateMersenne53Randomizer,
  type LocaleDefinition,
  type Randomizer,
} from '@faker-js/faker';
import { ErrorCodes, RunnelError } from '../../index.ts';
import { NATIONALITY_CODES } from './nationalities.ts';

export type Gender = 'male' | 'female';

export interface RandomUser {
  gender: Gender;
  name: { title: string; first: string; last: string };
  location: {
    street: { number: number; name: string };
    city: string;
    state: string;
    country: string;
    postcode: string | number;
    coordinates: { latitude: string; longitude: string };
    timezone: { offset: string; description: string };
  };
  email: string;
  login: {
    uuid: string;
    username: string;
    password: string;
    salt: string;
    md5: string;
    sha1: string;
    sha256: string;
  };
  dob: { date: string; age: number };
  registered: { date: string; age: number };
  phone: string;
  cell: string;
  id: { name: string; value: string | null };
  picture: { large: string; medium: string; thumbnail: string };
  nat: string;
}

/** The top-level fields `inc` and `exc` choose from, in the order the API answers them. */
export const USER_FIELDS = [
  'gender',
  'name',
  'location',
  'email',
  'login',
  'dob',
  'registered',
  'phone',
  'cell',
  'id',
  'picture',
  'nat',
] as const;
export type UserField = (typeof USER_FIELDS)[number];

export interface RandomUserPage<U> {
  results: U[];
  info: { seed: string; results: number; page: number; version: '1.4' };
}

export interface GenerateOptions {
  seed: string;
  /** 1-based, as the API's. */
  page: number;
  /** 1..MAX_RESULTS. */
  results: number;
  /** Nationalities to draw from (case-insensitive); unknown ones are ignored, none left means all. */
  nat?: string[];
  /** Only these top-level fields (the API's `inc`). */
  inc?: string[];
  /** All but these top-level fields (the API's `exc`). */
  exc?: string[];
  /** Only this gender (the API's `gender`). */
  gender?: Gender;
  /** The clock `dob.age` and `registered.age` count from (default now): the only clock-dependent fields. */
  now?: number;
}

/** The API's own cap on `results`. */
export const MAX_RESULTS = 5000;

interface Nationality {
  country: string;
  locale: LocaleDefinition;
  /** randomuser answers a number for postcodes it draws as digits. */
  numericPostcode: boolean;
  postcodeFormat?: string;
  id: { name: string; format: string | null };
  /** For NZ, which faker has no locale for: its own places and randomuser's phone format. */
  places?: { cities: readonly string[]; states: readonly string[]; phone: string };
}

const NZ_PLACES = {
  cities: ['Auckland', 'Wellington', 'Christchurch', 'Hamilton', 'Tauranga', 'Napier', 'Dunedin', 'Nelson'],
  states: ['Auckland', 'Wellington', 'Canterbury', 'Waikato', 'Bay of Plenty', "Hawke's Bay", 'Otago', 'Nelson'],
  phone: '(###)-###-####',
};

// `#` a digit, `?` a letter (faker's replaceSymbols); a null format is the API's `{name: '', value: null}`.
const NATIONALITIES: Record<string, Nationality> = {
  AU: nat('Australia', 'en_AU', true, { name: 'TFN', format: '#########' }),
  BR: nat('Brazil', 'pt_BR', false, { name: 'CPF', format: '###.###.###-##' }),
  CA: nat('Canada', 'en_CA', false, { name: 'SIN', format: '###-###-###' }),
  CH: nat('Switzerland', 'de_CH', true, { name: 'AVS', format: '756.####.####.##' }),
  DE: nat('Germany', 'de', true, { name: 'SVNR', format: '## ###### ? ###' }),
  DK: nat('Denmark', 'da', true, { name: 'CPR', format: '######-####' }),
  ES: nat('Spain', 'es', true, { name: 'DNI', format: '########-?' }),
  // Sic: the real API's Finnish ids look like this (a bug of its own, kept so consumers meet it here).
  FI: nat('Finland', 'fi', true, { name: 'HETU', format: 'NaNNA###undefined' }),
  FR: nat('France', 'fr', true, { name: 'INSEE', format: '############ ##' }),
  GB: nat('United Kingdom', 'en_GB', false, { name: 'NINO', format: '?? ## ## ## ?' }),
  IE: nat('Ireland', 'en_IE', false, { name: 'PPS', format: '#######?' }),
  IN: nat('India', 'en_IN', true, { name: 'UIDAI', format: '############' }),
  IR: nat('Iran', 'fa', false, { name: '', format: null }),
  MX: nat('Mexico', 'es_MX', true, { name: 'NSS', format: '## ## ## ####  #' }),
  NL: nat('Netherlands', 'nl', false, { name: 'BSN', format: '########' }),
  NO: nat('Norway', 'nb_NO', true, { name: 'FN', format: '###########' }),
  NZ: { ...nat('New Zealand', 'en', true, { name: '', format: null }), postcodeFormat: '####', places: NZ_PLACES },
  RS: nat('Serbia', 'sr_RS_latin', true, { name: 'SID', format: '#########' }),
  TR: nat('Turkey', 'tr', true, { name: '', format: null }),
  UA: nat('Ukraine', 'uk', true, { name: '', format: null }),
  US: { ...nat('United States', 'en_US', true, { name: 'SSN', format: '###-##-####' }), postcodeFormat: '#####' },
};

function nat(country: string, locale: string, numericPostcode: boolean, id: Nationality['id']): Nationality {
  const def = allLocales[locale as keyof typeof allLocales];
  if (!def) throw new RunnelError(ErrorCodes.INTERNAL, `faker has no locale ${locale}`);
  return { country, locale: def, numericPostcode, id };
}

export { NATIONALITY_CODES };

if (Object.keys(NATIONALITIES).join() !== NATIONALITY_CODES.join())
  throw new RunnelError(ErrorCodes.INTERNAL, 'randomuser: NATIONALITIES and nationalities.ts disagree');

const TIMEZONES: ReadonlyArray<readonly [string, string]> = [
  ['-12:00', 'Eniwetok, Kwajalein'],
  ['-11:00', 'Midway Island, Samoa'],
  ['-10:00', 'Hawaii'],
  ['-9:00', 'Alaska'],
  ['-8:00', 'Pacific Time (US & Canada)'],
  ['-7:00', 'Mountain Time (US & Canada)'],
  ['-6:00', 'Central Time (US & Canada), Mexico City'],
  ['-5:00', 'Eastern Time (US & Canada), Bogota, Lima'],
  ['-4:00', 'Atlantic Time (Canada), Caracas, La Paz'],
  ['-3:30', 'Newfoundland'],
  ['-3:00', 'Brazil, Buenos Aires, Georgetown'],
  ['-2:00', 'Mid-Atlantic'],
  ['-1:00', 'Azores, Cape Verde Islands'],
  ['0:00', 'Western Europe Time, London, Lisbon, Casablanca'],
  ['+1:00', 'Brussels, Copenhagen, Madrid, Paris'],
  ['+2:00', 'Kaliningrad, South Africa'],
  ['+3:00', 'Baghdad, Riyadh, Moscow, St. Petersburg'],
  ['+3:30', 'Tehran'],
  ['+4:00', 'Abu Dhabi, Muscat, Baku, Tbilisi'],
  ['+4:30', 'Kabul'],
  ['+5:00', 'Ekaterinburg, Islamabad, Karachi, Tashkent'],
  ['+5:30', 'Bombay, Calcutta, Madras, New Delhi'],
  ['+5:45', 'Kathmandu'],
  ['+6:00', 'Almaty, Dhaka, Colombo'],
  ['+7:00', 'Bangkok, Hanoi, Jakarta'],
  ['+8:00', 'Beijing, Perth, Singapore, Hong Kong'],
  ['+9:00', 'Tokyo, Seoul, Osaka, Sapporo, Yakutsk'],
  ['+9:30', 'Adelaide, Darwin'],
  ['+10:00', 'Eastern Australia, Guam, Vladivostok'],
  ['+11:00', 'Magadan, Solomon Islands, New Caledonia'],
  ['+12:00', 'Auckland, Wellington, Fiji, Kamchatka'],
];

// randomuser's usernames are an English adjective, an animal and three digits ("yellowpeacock117").
const ADJECTIVES = [
  'big',
  'small',
  'tiny',
  'heavy',
  'lazy',
  'happy',
  'sad',
  'crazy',
  'angry',
  'beautiful',
  'organic',
  'ticklish',
  'silver',
  'golden',
  'white',
  'black',
  'red',
  'blue',
  'green',
  'yellow',
  'purple',
  'orange',
  'brown',
];
const ANIMALS = [
  'bird',
  'cat',
  'dog',
  'fish',
  'frog',
  'goose',
  'lion',
  'tiger',
  'bear',
  'rabbit',
  'swan',
  'peacock',
  'elephant',
  'leopard',
  'wolf',
  'ladybug',
  'butterfly',
  'gorilla',
  'koala',
  'panda',
  'snake',
  'zebra',
  'meercat',
  'mouse',
  'duck',
  'ostrich',
  'buffalo',
  'monkey',
  'kangaroo',
  'penguin',
];
// randomuser's passwords are common weak ones.
const PASSWORDS = [
  'password',
  '123456',
  'qwerty',
  'letmein',
  'dragon',
  'monkey',
  'sunshine',
  'master',
  'shadow',
  'superman',
  'batman',
  'trustno1',
  'football',
  'baseball',
  'iloveyou',
  'princess',
  'welcome',
  'whatever',
  'freedom',
  'hunter',
  'ranger',
  'buster',
  'soccer',
  'hockey',
  'killer',
  'george',
  'charlie',
  'andrew',
  'michelle',
  'jessica',
  'pepper',
  'daniel',
  'access',
  'joshua',
  'maggie',
  'starwars',
  'silver',
  'william',
  'dallas',
  'yankees',
  'hello',
  'amanda',
];
const FEMALE_TITLES = ['Ms', 'Mrs', 'Miss'];
const SALT_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';

const YEAR_MS = 365.2425 * 24 * 3600 * 1000;
// Fixed instants, so a page's dates never depend on when it was generated.
const DOB_FROM = Date.UTC(1946, 0, 1);
const DOB_TO = Date.UTC(2004, 11, 31);
const REGISTERED_FROM = Date.UTC(2002, 0, 1);
const REGISTERED_TO = Date.UTC(2022, 11, 31);

/**
 * One Faker per nationality, built once (building one is not free). They all draw from `source`, a randomizer
 * that forwards to the page being generated: each page has its own seeded randomizer, so pages generated
 * in turns (async, or interleaved iterators) do not disturb one another, and a page is deterministic.
 */
const source: { current: Randomizer } = { current: generateMersenne53Randomizer() };
let fakers: Map<string, Faker> | undefined;

function getFakers(): Map<string, Faker> {
  if (fakers) return fakers;
  const randomizer: Randomizer = {
    next: () => source.current.next(),
    seed: (seed) => source.current.seed(seed),
  };
  fakers = new Map(
    Object.entries(NATIONALITIES).map(([code, n]) => [code, new Faker({ locale: [n.locale, en, base], randomizer })]),
  );
  return fakers;
}

/**
 * Each nationality's streets and cities, drawn once from its locale: faker builds each from patterns, which
 * costs more than the rest of a user, while the real API also picks them from finite lists. A pool has its
 * own fixed-seed randomizer, so building it (lazily) leaves the pages' stream untouched.
 */
const POOL_SIZE = 500;
const placePools = new Map<string, { streets: string[]; cities: string[] }>();

function placePool(code: string): { streets: string[]; cities: string[] } {
  let pool = placePools.get(code);
  if (pool) return pool;
  const randomizer = generateMersenne53Randomizer();
  randomizer.seed(pageKey(`places ${code}`, 0));
  const f = new Faker({ locale: [NATIONALITIES[code]!.locale, en, base], randomizer });
  pool = {
    streets: Array.from({ length: POOL_SIZE }, () => f.location.street()),
    cities: Array.from({ length: POOL_SIZE }, () => f.location.city()),
  };
  placePools.set(code, pool);
  return pool;
}

/**
 * The key a page's randomizer is seeded with: the seed string by two 32-bit hashes, and the page itself,
 * so two pages of one seed never share a stream (a single 32-bit hash of both would, once in ~2^16 pages).
 */
function pageKey(seed: string, page: number): number[] {
  let a = 0x811c9dc5; // FNV-1a
  let b = 0x9747b28c; // the same walk from another offset, with another odd multiplier
  for (let i = 0; i < seed.length; i++) {
    const c = seed.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return [a >>> 0, b >>> 0, page >>> 0, Math.floor(page / 2 ** 32) >>> 0];
}

/** A page of users as the API answers `?seed=…&page=…&results=…` (plus `nat`, `gender`, `inc`, `exc`). */
export function generateUsers(opts: GenerateOptions & { inc?: undefined; exc?: undefined }): RandomUserPage<RandomUser>;
export function generateUsers(opts: GenerateOptions): RandomUserPage<Partial<RandomUser>>;
export function generateUsers(opts: GenerateOptions): RandomUserPage<Partial<RandomUser>> {
  const users = userStream(opts);
  return { results: [...users], info: users.info };
}

/**
 * The same page as generateUsers, handing the event loop back every `sliceMs` of work: 5000 users take
 * over 100 ms, too long to hold a server or a pipeline.
 */
export async function generateUsersAsync(
  opts: GenerateOptions & { inc?: undefined; exc?: undefined },
  sliceMs?: number,
): Promise<RandomUserPage<RandomUser>>;
export async function generateUsersAsync(
  opts: GenerateOptions,
  sliceMs?: number,
): Promise<RandomUserPage<Partial<RandomUser>>>;
export async function generateUsersAsync(
  opts: GenerateOptions,
  sliceMs = 5,
): Promise<RandomUserPage<Partial<RandomUser>>> {
  const users = userStream(opts);
  const results: Array<Partial<RandomUser>> = [];
  let since = performance.now();
  for (const u of users) {
    results.push(u);
    if (results.length % 32 === 0 && performance.now() - since >= sliceMs) {
      await new Promise((resolve) => setImmediate(resolve));
      since = performance.now();
    }
  }
  return { results, info: users.info };
}

/** A page's users one at a time (what both generateUsers and its async twin read), and the page's `info`. */
export function userStream(
  opts: GenerateOptions,
): IterableIterator<Partial<RandomUser>> & { info: RandomUserPage<unknown>['info'] } {
  const fakers = getFakers();
  const results = Math.max(1, Math.min(MAX_RESULTS, Math.floor(opts.results) || 1));
  const page = Math.max(1, Math.floor(opts.page) || 1);
  const wanted = (opts.nat ?? []).map((n) => n.trim().toUpperCase()).filter((n) => n in NATIONALITIES);
  const nats = wanted.length > 0 ? wanted : NATIONALITY_CODES;
  const now = opts.now ?? Date.now();
  const keep = fieldFilter(opts.inc, opts.exc);
  const randomizer = generateMersenne53Randomizer();
  randomizer.seed(pageKey(opts.seed, page));
  const rand = () => randomizer.next();
  function* users(): Generator<Partial<RandomUser>> {
    for (let i = 0; i < results; i++) {
      source.current = randomizer; // each user in one synchronous step, so no other page draws in between
      const code = oneOf(rand, nats);
      const gender: Gender = opts.gender ?? (rand() < 0.5 ? 'male' : 'female');
      const user = makeUser(fakers.get(code)!, rand, code, gender, now);
      yield keep ? pick(user, keep) : user;
    }
  }
  return Object.assign(users(), { info: { seed: opts.seed, results, page, version: '1.4' as const } });
}

/**
 * One user. Faker draws what is per locale (names, places, phones, postcodes, ids); the rest comes straight
 * from the page's randomizer (`r`), which is several times faster than going through faker's helpers.
 */
function makeUser(f: Faker, r: () => number, code: string, gender: Gender, now: number): RandomUser {
  const n = NATIONALITIES[code]!;
  const pool = placePool(code);
  const int = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const first = oneOf(r, firstNames(f, gender));
  const last = f.person.lastName(gender);
  const title = gender === 'male' ? 'Mr' : oneOf(r, FEMALE_TITLES);
  const rawPostcode = n.postcodeFormat ? f.location.zipCode(n.postcodeFormat) : f.location.zipCode();
  const postcode = n.numericPostcode && /^[1-9]\d*$/.test(rawPostcode) ? Number(rawPostcode) : rawPostcode;
  const [offset, description] = oneOf(r, TIMEZONES);
  const password = oneOf(r, PASSWORDS);
  let salt = '';
  for (let i = 0; i < 8; i++) salt += SALT_CHARS[int(0, SALT_CHARS.length - 1)];
  const dob = int(DOB_FROM, DOB_TO);
  const registered = int(REGISTERED_FROM, REGISTERED_TO);
  const folder = gender === 'male' ? 'men' : 'women';
  const picture = int(0, 99);
  const salted = password + salt;
  return {
    gender,
    name: { title, first, last },
    location: {
      street: { number: int(1, 9999), name: oneOf(r, pool.streets) },
      city: oneOf(r, n.places ? n.places.cities : pool.cities),
      // en_IE's locale has counties where others have states.
      state: n.places ? oneOf(r, n.places.states) : code === 'IE' ? f.location.county() : f.location.state(),
      country: n.country,
      postcode,
      coordinates: { latitude: (r() * 180 - 90).toFixed(4), longitude: (r() * 360 - 180).toFixed(4) },
      timezone: { offset, description },
    },
    email: `${first}.${last}@example.com`.toLowerCase().replace(/\s+/g, ''),
    login: {
      uuid: uuid4(int),
      username: `${oneOf(r, ADJECTIVES)}${oneOf(r, ANIMALS)}${int(100, 999)}`,
      password,
      salt,
      md5: hash('md5', salted),
      sha1: hash('sha1', salted),
      sha256: hash('sha256', salted),
    },
    dob: { date: new Date(dob).toISOString(), age: yearsBetween(dob, now) },
    registered: { date: new Date(registered).toISOString(), age: yearsBetween(registered, now) },
    phone: phone(f, n),
    cell: phone(f, n),
    id: { name: n.id.name, value: n.id.format === null ? null : f.helpers.replaceSymbols(n.id.format) },
    picture: {
      large: `https://randomuser.me/api/portraits/${folder}/${picture}.jpg`,
      medium: `https://randomuser.me/api/portraits/med/${folder}/${picture}.jpg`,
      thumbnail: `https://randomuser.me/api/portraits/thumb/${folder}/${picture}.jpg`,
    },
    nat: code,
  };
}

/**
 * The locale's first names for the gender. Not faker's person.firstName(sex): that also draws from the
 * locale's ungendered list (half the time for Persian, a third for Turkish), which would label "Parviz" a
 * woman; real names are gendered, and the model is meant to learn that.
 */
function firstNames(f: Faker, gender: Gender): readonly string[] {
  const names = f.definitions.person.first_name;
  const list = names?.[gender];
  if (!list || list.length === 0)
    throw new RunnelError(ErrorCodes.INTERNAL, `faker's locale has no ${gender} first names`);
  return list;
}

function phone(f: Faker, n: Nationality): string {
  return n.places ? f.helpers.replaceSymbols(n.places.phone) : f.phone.number({ style: 'national' });
}

/** A version-4 UUID from the page's randomizer (not crypto's: it must repeat for the same page). */
function uuid4(int: (lo: number, hi: number) => number): string {
  let s = '';
  for (let i = 0; i < 32; i++) {
    let d = int(0, 15);
    if (i === 12) d = 4;
    else if (i === 16) d = 8 | (d & 3);
    s += HEX[d];
    if (i === 7 || i === 11 || i === 15 || i === 19) s += '-';
  }
  return s;
}

function oneOf<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)]!;
}

function yearsBetween(from: number, to: number): number {
  return Math.max(0, Math.floor((to - from) / YEAR_MS));
}

/** The fields a user keeps under `inc`/`exc` (undefined: all). Unknown names are ignored, as by the API. */
function fieldFilter(inc: string[] | undefined, exc: string[] | undefined): UserField[] | undefined {
  const norm = (xs: string[] | undefined) => new Set((xs ?? []).map((x) => x.trim().toLowerCase()));
  const included = norm(inc);
  const excluded = norm(exc);
  if (included.size === 0 && excluded.size === 0) return undefined;
  return USER_FIELDS.filter((k) => (included.size === 0 || included.has(k)) && !excluded.has(k));
}

function pick(user: RandomUser, fields: UserField[]): Partial<RandomUser> {
  const out: Record<string, unknown> = {};
  for (const k of fields) out[k] = user[k];
  return out as Partial<RandomUser>;
}

/**
 * The API's answer to a request's query string, for a local server that imitates randomuser.me:
 * `results` (1..5000, default 1), `seed` (default a fresh random one, as the API does), `page` (default 1),
 * `nat`, `gender`, `inc`, `exc` (comma-separated). Values it cannot read fall back to the defaults.
 * A server should prefer randomUserResponseAsync, which does not hold the event loop for a big page.
 */
export function randomUserResponse(query: URLSearchParams): RandomUserPage<Partial<RandomUser>> {
  return generateUsers(optionsFromQuery(query));
}

export function randomUserResponseAsync(query: URLSearchParams): Promise<RandomUserPage<Partial<RandomUser>>> {
  return generateUsersAsync(optionsFromQuery(query));
}

function optionsFromQuery(query: URLSearchParams): GenerateOptions {
  const list = (name: string) => {
    const v = query.get(name);
    return v ? v.split(',').filter((x) => x.trim() !== '') : undefined;
  };
  const whole = (name: string, fallback: number) => {
    const v = Number(query.get(name));
    return Number.isInteger(v) && v >= 1 ? v : fallback;
  };
  const gender = query.get('gender')?.toLowerCase();
  return {
    seed: query.get('seed') || randomSeed(),
    page: whole('page', 1),
    results: Math.min(MAX_RESULTS, whole('results', 1)),
    nat: list('nat'),
    inc: list('inc'),
    exc: list('exc'),
    gender: gender === 'male' || gender === 'female' ? gender : undefined,
  };
}

/** 16 hex digits, as the API's own seeds look. */
function randomSeed(): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += HEX[Math.floor(Math.random() * 16)];
  return s;
}
