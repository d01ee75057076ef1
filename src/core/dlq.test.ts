import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import { DEAD_LETTERS_TOLD, misfit, warnDeadLetter } from './dlq.ts';

test('dead letters are told in full up to a limit per component, then counted in a line every 10 s, none unaccounted', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ component: fc.constantFrom('a', 'b'), gap: fc.integer({ min: 0, max: 4000 }) }), {
        maxLength: 200,
      }),
      (letters) => {
        const lines: string[] = [];
        const log = { warn: (m: string) => lines.push(m) };
        let now = 0;
        // Per component, the index of the last letter whose call said something (a line in full or a count).
        const lastSaid = new Map<string, number>();
        for (const [i, l] of letters.entries()) {
          now += l.gap;
          const before = lines.length;
          warnDeadLetter(log, l.component, `${l.component}: letter ${i}`, now);
          if (lines.length > before) lastSaid.set(l.component, i);
        }
        for (const c of ['a', 'b']) {
          const sent = letters.flatMap((l, i) => (l.component === c ? [i] : []));
          const full = lines.filter((m) => m.startsWith(`${c}: letter `));
          // The first ones in full, in order.
          assert.deepEqual(
            full,
            sent.slice(0, DEAD_LETTERS_TOLD).map((i) => `${c}: letter ${i}`),
          );
          // Every letter is told in full or counted, but those after the component's last line (which the
          // run's summary counts): none twice, none lost.
          const counted = lines
            .filter((m) => m.startsWith(`${c}: `) && m.includes(' more dead-lettered'))
            .map((m) => Number(/: (\d+) more/.exec(m)![1]));
          const pending = sent.filter((i) => i > (lastSaid.get(c) ?? -1)).length;
          assert.equal(full.length + counted.reduce((a, b) => a + b, 0) + pending, sent.length);
          const notice = lines.filter((m) => m.startsWith(`${c}: further dead letters`)).length;
          assert.equal(notice, sent.length >= DEAD_LETTERS_TOLD ? 1 : 0);
        }
        // At most one count line per component per 10 s.
        assert.ok(lines.length <= 2 * (DEAD_LETTERS_TOLD + 1) + 2 * Math.ceil(now / 10_000) + 2);
      },
    ),
  );
});

test('a flood of dead letters is a few lines, not one per record', () => {
  const lines: string[] = [];
  const log = { warn: (m: string) => lines.push(m) };
  for (let i = 0; i < 2000; i++) warnDeadLetter(log, 'step', `step: record ${i}: no event time`, i * 10);
  // 20 s of records: the first ten, the notice, and one count 10 s after the tenth (the rest is the summary's).
  assert.equal(lines.length, DEAD_LETTERS_TOLD + 1 + 1);
  assert.match(lines.at(-1)!, /^step: \d+ more dead-lettered; the latest: step: record \d+: no event time$/);
});

test('a misfit names its topic in words that read right whatever the name: "not a valid users_created record"', () => {
  const error = z.object({ n: z.number() }).safeParse({ n: 'x' }).error!;
  // An article chosen by the first letter read "not an users_created record" and "not a hourly record".
  for (const topic of ['oura', 'smoker', 'users_created', 'hourly', 'x.y-z']) {
    const message = misfit(topic, 'f.jsonl:3', error, {}).message;
    assert.ok(message.startsWith(`f.jsonl:3: not a valid ${topic} record (n: `), message);
  }
});
