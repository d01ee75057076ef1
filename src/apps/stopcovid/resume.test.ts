import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type Logger, RunnelError, type SourceContext } from '../../index.ts';
import { differences, type RunSettings, resumeRun, runMark } from './resume.ts';

const RUN: RunSettings = { seed: 7, people: 500, width: 224, height: 224, radius: 0, tile: 64, test: null };

/**
 * A source context over a topic whose newest records are at `tick` (its last person among them: the tick
 * was sent whole), marked with `marks`; `newest` gives the partitions' newest records instead.
 */
function ctxOf(
  tick: number | undefined,
  marks: string[],
  lines: string[],
  newest: Array<{ id: number; tick: number }> = tick === undefined ? [] : [{ id: RUN.people, tick }],
): SourceContext {
  const say = (m: string) => lines.push(m);
  const log: Logger = { info: say, warn: say, error: say, debug() {} };
  return {
    signal: new AbortController().signal,
    log,
    destination: { topic: 'stopcovid.positions' },
    newest: async () => newest.map((p) => ({ phone: 1, x: 0, y: 0, ...p })),
    runMarks: async () => marks,
  };
}

describe('stopcovid: a restart goes on with the run its topic holds, or is refused', () => {
  it('a fresh topic starts at tick 0 with the seed of this run, said when drawn', async () => {
    const lines: string[] = [];
    assert.deepEqual(await resumeRun(ctxOf(undefined, [], lines), RUN, { seedGiven: false, ticks: undefined }), {
      from: 0,
      seed: 7,
    });
    assert.match(lines.join('\n'), /seed 7 \(drawn: no --seed\), kept with the ticks on stopcovid\.positions/);
  });

  it("without --seed, goes on after the newest tick with the newest mark's seed, and says so", async () => {
    const lines: string[] = [];
    const marks = [runMark({ ...RUN, seed: 99 }, 20), runMark({ ...RUN, seed: 99 }, 19)];
    const r = await resumeRun(ctxOf(20, marks, lines), RUN, { seedGiven: false, ticks: undefined });
    assert.deepEqual(r, { from: 21, seed: 99 });
    assert.match(
      lines.join('\n'),
      /ticks 0 to 20 are on the topic already: going on from tick 21 with the run's saved seed 99/,
    );
  });

  it('a tick that --limit cut goes on with the person after the last one sent of it (ids are sent in order)', async () => {
    const lines: string[] = [];
    const marks = [runMark(RUN, 20)];
    // Three partitions: two got people of tick 20 before the cut, one's newest is still of tick 19.
    const newest = [
      { id: 120, tick: 20 },
      { id: 77, tick: 20 },
      { id: RUN.people, tick: 19 },
    ];
    const cut = await resumeRun(ctxOf(20, marks, lines, newest), RUN, { seedGiven: false, ticks: undefined });
    assert.deepEqual(cut, { from: 20, sentThrough: Math.max(120, 77), seed: RUN.seed });
    assert.match(lines.join('\n'), /tick 20 up to person 120: going on with person 121 with the run's saved seed 7/);
  });

  it('a finished run simulates nothing, and says which settings asked for differ from its own', async () => {
    for (const [asked, said] of [
      [RUN, ': its pipeline'],
      [
        { ...RUN, people: 600 },
        " with other settings than this run's: --people 500 (this run: --people 600). Its pipeline",
      ],
    ] as const) {
      const lines: string[] = [];
      const ended = [{ id: RUN.people, tick: 20, end: true }];
      const r = await resumeRun(ctxOf(20, [runMark(RUN, 19)], lines, ended), asked, { seedGiven: false, ticks: 20 });
      assert.equal(r, undefined);
      assert.deepEqual(lines, [
        `stopcovid: this broker holds a finished run (ticks 0 to 19, then its end)${said} has closed every tick, ` +
          'so nothing is simulated; start afresh with another --broker and --data-dir',
      ]);
    }
  });

  it('other settings are refused with RUNNEL_RUN_SETTINGS_CHANGED, naming each and how to start afresh', async () => {
    const asked = { ...RUN, seed: 2, people: 1000, width: 317, height: 317, test: { delay: 2, positive: 0.5 } };
    await assert.rejects(
      resumeRun(ctxOf(25, [runMark({ ...RUN, seed: 1 }, 25)], []), asked, { seedGiven: true, ticks: undefined }),
      (e: unknown) => {
        assert.ok(e instanceof RunnelError);
        assert.equal(e.code, 'RUNNEL_RUN_SETTINGS_CHANGED');
        assert.equal(
          e.message,
          'stopcovid: stopcovid.positions holds ticks 0 to 25 of a simulation with other settings: --people 500 ' +
            '(this run: --people 1000), --grid 224x224 (this run: --grid 317x317), --seed 1 (this run: --seed 2), ' +
            '--test-delay 0 (this run: --test-delay 2 --test-positive 0.5). To go on with it, give its settings ' +
            '(--seed may be left out); to start afresh, use another --broker and --data-dir (on Kafka: another ' +
            'STOPCOVID_TOPIC and RUNNEL_APP_ID, and another --data-dir)',
        );
        return true;
      },
    );
  });

  it('the seed is compared only when given; radius and tile always', () => {
    assert.deepEqual(differences(RUN, { ...RUN, seed: 8 }, false), []);
    assert.deepEqual(differences(RUN, { ...RUN, seed: 8 }, true), ['--seed 7 (this run: --seed 8)']);
    assert.deepEqual(differences(RUN, { ...RUN, radius: 2, tile: 32 }, false), [
      '--radius 0 (this run: --radius 2)',
      '--tile 64 (this run: --tile 32)',
    ]);
  });

  it('a topic of a run that kept no settings (an older runnel) goes on, warned that its seed is unknown', async () => {
    const lines: string[] = [];
    const r = await resumeRun(ctxOf(4, ['not ours'], lines), RUN, { seedGiven: false, ticks: undefined });
    assert.deepEqual(r, { from: 5, seed: 7 });
    assert.match(lines.join('\n'), /kept no seed nor settings \(an older runnel\): going on with a new seed 7/);
  });
});
