import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counts, decodeBase64, refFeatures } from '../../../test/helpers/users-reference.ts';
import { PrequentialEval } from './eval.ts';
import { NatModel, type NatModelState } from './nat-model.ts';
import { generateUsers, NATIONALITY_CODES } from './randomuser.ts';

/** Softmax regression with AdaGrad, with maps of plain arrays. */
class RefSoftmax {
  w = new Map<number, number[]>();
  g = new Map<number, number[]>();
  b: number[];
  gb: number[];
  readonly bits: number;
  readonly lr: number;
  readonly classes: string[];
  constructor(bits: number, lr: number, classes: string[]) {
    this.bits = bits;
    this.lr = lr;
    this.classes = classes;
    this.b = classes.map(() => 0);
    this.gb = classes.map(() => 0);
  }
  probs(name: string): number[] {
    const z = [...this.b];
    for (const j of refFeatures(name, this.bits, [1, 4])) {
      const row = this.w.get(j);
      if (row) for (const [k, v] of row.entries()) z[k]! += v;
    }
    const max = Math.max(...z);
    const e = z.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, v) => a + v, 0);
    return e.map((v) => v / sum);
  }
  learn(name: string, label: string): number {
    const y = this.classes.indexOf(label);
    const p = this.probs(name);
    const g = p.map((v, k) => v - (k === y ? 1 : 0));
    const zero = () => this.classes.map(() => 0);
    for (const [j, c] of counts(refFeatures(name, this.bits, [1, 4]))) {
      const w = this.w.get(j) ?? zero();
      const G = this.g.get(j) ?? zero();
      g.forEach((gk, k) => {
        G[k]! += (c * gk) ** 2;
        w[k]! -= (this.lr * c * gk) / Math.sqrt(G[k]!);
      });
      this.w.set(j, w);
      this.g.set(j, G);
    }
    g.forEach((gk, k) => {
      this.gb[k]! += gk * gk;
      this.b[k]! -= (this.lr * gk) / Math.sqrt(this.gb[k]!);
    });
    return -Math.log(p[y]!);
  }
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9, `${what}: ${a} vs ${b}`);

describe('NatModel: the softmax AdaGrad step against a plain reference', () => {
  for (const [bits, lr, classes] of [
    [3, 0.5, ['a', 'b', 'c']],
    [12, 0.1, [...NATIONALITY_CODES]],
  ] as Array<[number, number, string[]]>) {
    it(`bits=${bits} lr=${lr} ${classes.length} classes: probabilities, losses, weights and sums agree`, () => {
      const model = new NatModel({ bits, lr, classes });
      const ref = new RefSoftmax(bits, lr, classes);
      const users = generateUsers({ seed: 'nat-ref', page: 1, results: 12, now: 0 }).results;
      users.forEach((u, i) => {
        const name = `${u.name.first} ${u.name.last}`;
        const label = classes[i % classes.length]!;
        if (i % 2 === 0) {
          const p = model.predict(name);
          for (const [k, v] of ref.probs(name).entries()) close(p.probs[k]!, v, `p[${k}] before step ${i}`);
          assert.equal(p.p, Math.max(...p.probs));
          assert.equal(p.label, classes[p.probs.indexOf(p.p)]);
        }
        close(model.learn(name, label).loss, ref.learn(name, label), `loss at step ${i}`);
        const s = model.toState();
        const index = decodeBase64(s.index, Int32Array);
        const w = decodeBase64(s.weight, Float64Array);
        const g = decodeBase64(s.sumSq, Float64Array);
        assert.deepEqual(
          [...index],
          [...ref.w.keys()].sort((a, b) => a - b),
        );
        index.forEach((j, r) => {
          classes.forEach((_, k) => {
            close(w[r * classes.length + k]!, ref.w.get(j)![k]!, `W[${j}][${k}] after step ${i}`);
            close(g[r * classes.length + k]!, ref.g.get(j)![k]!, `G[${j}][${k}] after step ${i}`);
          });
        });
        for (const [k, v] of decodeBase64(s.bias, Float64Array).entries()) close(v, ref.b[k]!, `b[${k}]`);
        for (const [k, v] of decodeBase64(s.biasG, Float64Array).entries()) close(v, ref.gb[k]!, `G_b[${k}]`);
      });
    });
  }

  it('refuses a label outside its classes', () => {
    assert.throws(() => new NatModel({ classes: ['a', 'b'] }).learn('x', 'c'), { code: 'RUNNEL_INPUT_MALFORMED' });
  });
});

/** Test-then-train on full names, as the app runs it. */
function prequential(model: NatModel, users: Array<{ name: string; nat: string }>, ev: PrequentialEval<string>) {
  const ps: number[] = [];
  for (const u of users) {
    const p = model.predict(u.name);
    const pTrue = p.probs[model.classes.indexOf(u.nat)]!;
    ev.record(p.label, pTrue, u.nat);
    ps.push(pTrue);
    model.learn(u.name, u.nat);
  }
  return ps;
}

const users = (seed: string, n: number) =>
  generateUsers({ seed, page: 1, results: n, now: 0 }).results.map((u) => ({
    name: `${u.name.first} ${u.name.last}`,
    nat: u.nat,
  }));

describe('NatModel: prequential evaluation on generated users', () => {
  it('learns nationality from the name far above the majority baseline', () => {
    const data = users('nat-eval', 5000);
    const ev = new PrequentialEval<string>(500, NATIONALITY_CODES);
    prequential(new NatModel(), data, ev);
    // The baseline by brute force: the commonest nationality so far (ties: the earlier code).
    let hits = 0;
    const seen = new Map<string, number>();
    for (const u of data) {
      let best = NATIONALITY_CODES[0]!;
      for (const c of NATIONALITY_CODES) if ((seen.get(c) ?? 0) > (seen.get(best) ?? 0)) best = c;
      if (best === u.nat) hits++;
      seen.set(u.nat, (seen.get(u.nat) ?? 0) + 1);
    }
    const s = ev.snapshot();
    close(s.baselineAccuracy, hits / data.length, 'baseline accuracy');
    // Six nationalities share faker's English names (AU CA GB IE NZ US), which caps what a name can tell.
    assert.ok(s.accuracy >= 0.45, `accuracy ${s.accuracy}`);
    assert.ok(s.accuracy - s.baselineAccuracy >= 0.35, `accuracy ${s.accuracy} vs baseline ${s.baselineAccuracy}`);
    assert.ok(s.logLoss < s.baselineLogLoss, `log-loss ${s.logLoss} vs baseline ${s.baselineLogLoss}`);
  });

  it('continues exactly after a state round trip', () => {
    const data = users('nat-roundtrip', 1000);
    const straight = new NatModel({ bits: 12 });
    const ps = prequential(straight, data, new PrequentialEval<string>(100, NATIONALITY_CODES));
    const half = new NatModel({ bits: 12 });
    const ev = new PrequentialEval<string>(100, NATIONALITY_CODES);
    const first = prequential(half, data.slice(0, 500), ev);
    const restored = NatModel.fromState(JSON.parse(JSON.stringify(half.toState())) as NatModelState);
    const evRestored = PrequentialEval.fromState<string>(JSON.parse(JSON.stringify(ev.toState())));
    const second = prequential(restored, data.slice(500), evRestored);
    assert.deepEqual([...first, ...second], ps);
    assert.deepEqual(restored.toState(), straight.toState());
    assert.equal(restored.seen, 1000);
  });
});
