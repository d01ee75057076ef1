import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { allLocales } from '@faker-js/faker';
import { z } from '../../index.ts';
import { FlatUserSchema, flattenUser } from './flatten.ts';
import {
  generateUsers,
  generateUsersAsync,
  MAX_RESULTS,
  NATIONALITY_CODES,
  type RandomUser,
  randomUserResponse,
  randomUserResponseAsync,
  USER_FIELDS,
  userStream,
} from './randomuser.ts';

// The API's documented shape (https://randomuser.me/documentation, version 1.4), written out independently.
const RandomUserSchema = z.strictObject({
  gender: z.enum(['male', 'female']),
  name: z.strictObject({ title: z.string().min(1), first: z.string().min(1), last: z.string().min(1) }),
  location: z.strictObject({
    street: z.strictObject({ number: z.number().int().min(1), name: z.string().min(1) }),
    city: z.string().min(1),
    state: z.string().min(1),
    country: z.string().min(1),
    postcode: z.union([z.string().min(1), z.number().int()]),
    coordinates: z.strictObject({
      latitude: z.string().regex(/^-?\d+\.\d{4}$/),
      longitude: z.string().regex(/^-?\d+\.\d{4}$/),
    }),
    timezone: z.strictObject({ offset: z.string().regex(/^[+-]?\d{1,2}:\d{2}$/), description: z.string().min(1) }),
  }),
  email: z.string().regex(/^\S+@example\.com$/),
  login: z.strictObject({
    uuid: z.uuidv4(),
    username: z.string().regex(/^[a-z]+\d{3}$/),
    password: z.string().min(1),
    salt: z.string().regex(/^[A-Za-z0-9]{8}$/),
    md5: z.string().regex(/^[0-9a-f]{32}$/),
    sha1: z.string().regex(/^[0-9a-f]{40}$/),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
  }),
  dob: z.strictObject({ date: z.iso.datetime(), age: z.number().int().min(0) }),
  registered: z.strictObject({ date: z.iso.datetime(), age: z.number().int().min(0) }),
  phone: z.string().min(1),
  cell: z.string().min(1),
  id: z.strictObject({ name: z.string(), value: z.string().nullable() }),
  picture: z.strictObject({ large: z.url(), medium: z.url(), thumbnail: z.url() }),
  nat: z.enum(NATIONALITY_CODES as [string, ...string[]]),
});

/** The faker locale chain each nationality's names come from (en behind every one, as in the generator). */
const LOCALES: Record<string, string> = {
  AU: 'en_AU',
  BR: 'pt_BR',
  CA: 'en_CA',
  CH: 'de_CH',
  DE: 'de',
  DK: 'da',
  ES: 'es',
  FI: 'fi',
  FR: 'fr',
  GB: 'en_GB',
  IE: 'en_IE',
  IN: 'en_IN',
  IR: 'fa',
  MX: 'es_MX',
  NL: 'nl',
  NO: 'nb_NO',
  NZ: 'en',
  RS: 'sr_RS_latin',
  TR: 'tr',
  UA: 'uk',
  US: 'en_US',
};
function localeFirstNames(nat: string, gender: 'male' | 'female'): Set<string> {
  type Names = { person?: { first_name?: Partial<Record<'male' | 'female', string[]>> } };
  const own = (allLocales as unknown as Record<string, Names>)[LOCALES[nat]!]?.person?.first_name?.[gender];
  return new Set(own ?? (allLocales.en as Names).person!.first_name![gender]!);
}

const NOW = Date.UTC(2026, 0, 1);
const page = (seed: string, p: number, results: number) => generateUsers({ seed, page: p, results, now: NOW });

describe('randomuser generator', () => {
  it('answers in the API shape, for every nationality', () => {
    const { results, info } = page('shape', 1, 3000);
    assert.deepEqual(info, { seed: 'shape', results: 3000, page: 1, version: '1.4' });
    for (const u of results) RandomUserSchema.parse(u);
    assert.deepEqual(new Set(results.map((u) => u.nat)), new Set(NATIONALITY_CODES));
    assert.equal(NATIONALITY_CODES.length, 21);
  });

  it('is deterministic per (seed, page), and differs across seeds and pages', () => {
    assert.deepEqual(page('det', 2, 200), page('det', 2, 200));
    const ids = (seed: string, p: number) => page(seed, p, 200).results.map((u) => u.login.uuid);
    const all = [...ids('det', 1), ...ids('det', 2), ...ids('other', 1)];
    assert.equal(new Set(all).size, all.length);
    const many = Array.from(
      { length: 300 },
      (_, p) => generateUsers({ seed: 'det', page: p + 1, results: 10 }).results,
    );
    assert.equal(new Set(many.flat().map((u) => u.login.uuid)).size, 3000, 'no two pages repeat each other');
    // Only ages depend on the clock, as in the real API.
    const later = generateUsers({ seed: 'det', page: 2, results: 200, now: NOW + 40 * 365 * 86400e3 });
    const strip = (u: RandomUser) => ({ ...u, dob: u.dob.date, registered: u.registered.date });
    assert.deepEqual(later.results.map(strip), page('det', 2, 200).results.map(strip));
  });

  it('gives the same pages async, one user at a time, and with pages generated in turns', async () => {
    const opts = (p: number) => ({ seed: 'turns', page: p, results: 300, now: NOW });
    const [a, b] = await Promise.all([generateUsersAsync(opts(1), 0), generateUsersAsync(opts(2), 0)]);
    assert.deepEqual(a, page('turns', 1, 300));
    assert.deepEqual(b, page('turns', 2, 300));
    // Two iterators read alternately: each page draws from its own randomizer.
    const s1 = userStream(opts(1));
    const s2 = userStream(opts(2));
    const r1: unknown[] = [];
    const r2: unknown[] = [];
    for (let i = 0; i < 300; i++) {
      r1.push(s1.next().value);
      r2.push(s2.next().value);
    }
    assert.deepEqual(r1, a.results);
    assert.deepEqual(r2, b.results);
    assert.deepEqual(s1.info, a.info);
    const q = new URLSearchParams('seed=q&results=40&exc=login');
    assert.deepEqual(await randomUserResponseAsync(q), randomUserResponse(q));
  });

  it('derives fields as randomuser does: email from the name, hashes of password + salt, gendered pictures', () => {
    for (const u of page('derive', 1, 500).results) {
      assert.equal(u.email, `${u.name.first}.${u.name.last}@example.com`.toLowerCase().replace(/\s+/g, ''));
      const hex = (algo: string) =>
        createHash(algo)
          .update(u.login.password + u.login.salt)
          .digest('hex');
      assert.equal(u.login.md5, hex('md5'));
      assert.equal(u.login.sha1, hex('sha1'));
      assert.equal(u.login.sha256, hex('sha256'));
      assert.match(u.picture.medium, new RegExp(`/portraits/med/${u.gender === 'male' ? 'men' : 'women'}/\\d+\\.jpg$`));
      assert.ok(u.gender === 'male' ? u.name.title === 'Mr' : ['Ms', 'Mrs', 'Miss'].includes(u.name.title));
      const age = Math.floor((NOW - Date.parse(u.dob.date)) / (365.2425 * 86400e3));
      assert.equal(u.dob.age, age);
    }
  });

  it("gives gendered first names: each from its locale's list for that gender, the sets mostly disjoint", () => {
    for (const nat of NATIONALITY_CODES) {
      const { results } = generateUsers({ seed: `names-${nat}`, page: 1, results: 1000, nat: [nat], now: NOW });
      assert.ok(results.every((u) => u.nat === nat));
      const males = new Set(results.filter((u) => u.gender === 'male').map((u) => u.name.first));
      const females = new Set(results.filter((u) => u.gender === 'female').map((u) => u.name.first));
      for (const u of results) assert.ok(localeFirstNames(nat, u.gender).has(u.name.first), `${nat} ${u.name.first}`);
      const both = [...males].filter((n) => females.has(n));
      assert.ok(both.length <= 0.05 * Math.min(males.size, females.size), `${nat}: ${both.join(', ')} are both`);
      assert.ok(males.size >= 20 && females.size >= 20, `${nat}: ${males.size} male, ${females.size} female names`);
    }
  });

  it('takes nat case-insensitively, ignores unknown ones, and takes gender', () => {
    const some = generateUsers({ seed: 'nat', page: 1, results: 300, nat: ['fr', 'De', 'XX'] });
    assert.deepEqual(new Set(some.results.map((u) => u.nat)), new Set(['FR', 'DE']));
    const none = generateUsers({ seed: 'nat', page: 1, results: 300, nat: ['XX'] });
    assert.ok(new Set(none.results.map((u) => u.nat)).size > 10);
    const women = generateUsers({ seed: 'nat', page: 1, results: 100, gender: 'female' });
    assert.ok(women.results.every((u) => u.gender === 'female'));
  });

  it('inc and exc keep and drop top-level fields, the values unchanged', () => {
    const full = page('fields', 1, 50).results;
    const inc = generateUsers({ seed: 'fields', page: 1, results: 50, now: NOW, inc: ['name', 'GENDER', 'nope'] });
    const exc = generateUsers({ seed: 'fields', page: 1, results: 50, now: NOW, exc: ['login', 'picture'] });
    const both = generateUsers({ seed: 'fields', page: 1, results: 50, now: NOW, inc: ['name', 'nat'], exc: ['nat'] });
    full.forEach((u, i) => {
      assert.deepEqual(inc.results[i], { gender: u.gender, name: u.name });
      const { login: _l, picture: _p, ...rest } = u;
      assert.deepEqual(exc.results[i], rest);
      assert.deepEqual(both.results[i], { name: u.name });
    });
  });

  it('answers up to 5000 results a request, and a query string as the API does', () => {
    assert.equal(page('max', 1, MAX_RESULTS).results.length, 5000);
    assert.equal(page('max', 1, 9000).results.length, 5000);
    const q = randomUserResponse(new URLSearchParams('results=7000&seed=abc&page=3&nat=fr,de&inc=name,nat'));
    assert.deepEqual(q.info, { seed: 'abc', results: 5000, page: 3, version: '1.4' });
    assert.ok(q.results.every((u) => (u.nat === 'FR' || u.nat === 'DE') && Object.keys(u).join() === 'name,nat'));
    const sameAsDirect = generateUsers({ seed: 'abc', page: 3, results: 5000, nat: ['fr', 'de'] }).results;
    assert.deepEqual(
      q.results.map((u) => u.name),
      sameAsDirect.map((u) => u.name),
    );
    const defaults = randomUserResponse(new URLSearchParams('results=x&page=-1'));
    assert.equal(defaults.results.length, 1);
    assert.equal(defaults.info.page, 1);
    assert.match(defaults.info.seed, /^[0-9a-f]{16}$/);
    assert.deepEqual(Object.keys(defaults.results[0]!), [...USER_FIELDS]);
  });
});

describe('flattenUser', () => {
  it("gives the seed's flat record (its producer's fields) and keeps dob", () => {
    for (const u of page('flat', 1, 500).results) {
      const flat = flattenUser(u);
      const l = u.location;
      // seed 003's producer: address is "number street, city, state, country"; post_code as text in Cassandra.
      assert.deepEqual(flat, {
        id: u.login.uuid,
        first_name: u.name.first,
        last_name: u.name.last,
        gender: u.gender,
        address: [`${l.street.number} ${l.street.name}`, l.city, l.state, l.country].join(', '),
        post_code: typeof l.postcode === 'number' ? l.postcode.toString() : l.postcode,
        email: u.email,
        username: u.login.username,
        dob: u.dob.date,
        registered_date: u.registered.date,
        phone: u.phone,
        picture: u.picture.medium,
      });
      assert.deepEqual(FlatUserSchema.parse(flat), flat);
    }
  });

  it("the schema reads the seed's Cassandra export rows (no dob) and its producer's numeric post codes", () => {
    const row = {
      id: 'a2e9c6c2-3b1e-4b8c-9f77-6f0f1e2a3b4c',
      address: '8929 Valwood Pkwy, Billings, Michigan, United States',
      email: 'jennie.nichols@example.com',
      first_name: 'Jennie',
      gender: 'female',
      last_name: 'Nichols',
      phone: '(272) 790-0888',
      picture: 'https://randomuser.me/api/portraits/med/women/75.jpg',
      post_code: '63104',
      registered_date: '2007-07-09T05:51:59.390Z',
      username: 'yellowpeacock117',
    };
    assert.deepEqual(FlatUserSchema.parse(row), row);
    assert.equal(FlatUserSchema.parse({ ...row, post_code: 63104 }).post_code, '63104');
    assert.equal(FlatUserSchema.safeParse({ ...row, gender: 'x' }).success, false);
    assert.equal(FlatUserSchema.safeParse({ ...row, id: 'not-a-uuid' }).success, false);
    assert.equal(FlatUserSchema.safeParse({ ...row, first_name: 'x'.repeat(201) }).success, false);
    // The model reads the first name alone: a row without one is refused, saying so.
    for (const first_name of ['', '  ']) {
      const r = FlatUserSchema.safeParse({ ...row, first_name });
      assert.equal(r.success, false, JSON.stringify(first_name));
      assert.deepEqual(
        r.error!.issues.map((i) => [i.path.join('.'), i.message]),
        [['first_name', 'empty, and a gender cannot be learned from no first name']],
      );
    }
  });
});
