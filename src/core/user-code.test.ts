import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes, RunnelError } from './errors.ts';
import { inUserCode, userLocation } from './user-code.ts';

/** An error whose stack is `frames`, as V8 writes one. */
function thrownAt(...frames: string[]): Error {
  const err = new Error('boom');
  err.stack = ['Error: boom', ...frames.map((f) => `    at ${f}`)].join('\n');
  return err;
}

describe('userLocation', () => {
  it("skips Node's, runnel's and any package's frames for the first of the user's own", () => {
    const own = new URL('./errors.ts', import.meta.url).href;
    const err = thrownAt(
      'parse (node:internal/modules/esm/utils:1:1)',
      `Object.check (${own}:10:2)`,
      'z (/home/u/app/node_modules/zod/index.js:3:4)',
      'pipeline (file:///home/u/app/my-pipeline.ts:12:5)',
      'file:///home/u/app/other.ts:1:1',
    );
    const at = userLocation(err, '/home/u/app');
    assert.deepEqual(at, { where: 'my-pipeline.ts:12:5', file: '/home/u/app/my-pipeline.ts', line: 12, col: 5 });
    // Outside the working folder the path stays whole.
    assert.equal(userLocation(err, '/elsewhere')?.where, '/home/u/app/my-pipeline.ts:12:5');
  });

  it('takes the line and column a parse error quotes, the column from its caret', () => {
    const source = "    t.stream('a').to('b';";
    const col = source.indexOf(';') + 1;
    const err = new SyntaxError("Expected ',', got ';'");
    err.stack = `/home/u/app/p.ts:5\n  pipeline(t) {\n${source}\n${' '.repeat(col - 1)}^\n  },\n\nSyntaxError: x`;
    assert.deepEqual(userLocation(err, '/home/u/app'), {
      where: `p.ts:5:${col}`,
      file: '/home/u/app/p.ts',
      line: 5,
      col,
      excerpt: source.trim(),
    });
  });

  it('is undefined when no frame is the user’s', () => {
    assert.equal(userLocation(thrownAt('x (node:internal/a:1:1)')), undefined);
    assert.equal(userLocation('not an error'), undefined);
  });
});

describe('inUserCode', () => {
  it("names the part and the place of what the user's code threw; runnel's own errors pass as they are", () => {
    assert.equal(
      inUserCode('x', () => 7),
      7,
    );
    const mine = new RunnelError(ErrorCodes.TOPIC_NOT_FOUND, 'no topic');
    assert.throws(
      () =>
        inUserCode('app: pipeline(t, options)', () => {
          throw mine;
        }),
      (err) => err === mine,
    );
    assert.throws(
      () =>
        inUserCode('app: sources(options)', () => {
          throw thrownAt('build (file:///home/u/app/p.ts:3:9)');
        }),
      (err: RunnelError) =>
        err.code === ErrorCodes.CONFIG_INVALID &&
        err.message === 'app: sources(options) threw: boom (at /home/u/app/p.ts:3:9)',
    );
    // Thrown in runnel's own files (this test is one), there is no place of the user's to name.
    assert.throws(
      () =>
        inUserCode('app: pipeline(t, options)', () => {
          throw new TypeError('bad');
        }),
      (err: RunnelError) => err.message === 'app: pipeline(t, options) threw: bad',
    );
  });
});
