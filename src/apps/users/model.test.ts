import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { counts as countsOf, decodeBase64, fnv1a, refFeatures } from '../../../test/helpers/users-reference.ts';
import { GenderModel, type Label, type ModelState, PrequentialEval } from './model.ts';
import { generateUsers } from './randomuser.ts';

// --- A reference model with plain arrays and maps: slow and obvious. ---

class RefModel {
  w = new Map<number, number>();
  g = new Map<number, number>();
  b = 0;
  gb = 0;
  readonly bits: number;
  readonly lr: number;
  readonly ngrams: [number, number];
  constructor(bits: number, lr: number, ngrams: [number, number]) {
    this.bits = bits;
    this.lr = lr;
    this.ngrams = ngrams;
  }
  z(name: string): number {
    return refFeatures(name, this.bits, this.ngrams).reduce((z, j) => z + (this.w.get(j) ?? 0), this.b);
  }
  p(name: string): number {
    return 1 / (1 + Math.exp(-this.z(name)));
  }
  /** The loss as a function of the weights, for finite differences. */
  lossAt(name: string, y: number, dw: Map<number, number>, db: number): number {
    const z = refFeatures(name, this.bits, this.ngrams).reduce(
      (s, j) => s + (this.w.get(j) ?? 0) + (dw.get(j) ?? 0),
      this.b + db,
    );
    const p = 1 / (1 + Math.exp(-z));
    return -Math.log(y === 1 ? p : 1 - p);
  }
  learn(name: string, label: Label): number {
    const y = label === 'female' ? 1 : 0;
    const p = this.p(name);
    const counts = countsOf(refFeatures(name, this.bits, this.ngrams));
    const g = p - y;
    for (const [j, c] of counts) {
      const grad = c * g;
      this.g.set(j, (this.g.get(j) ?? 0) + grad * grad);
      this.w.set(j, (this.w.get(j) ?? 0) - (this.lr * grad) / Math.sqrt(this.g.get(j)!));
    }
    this.gb += g * g;
    this.b -= (this.lr * g) / Math.sqrt(this.gb);
    return -Math.log(y === 1 ? p : 1 - p);
  }
}

/** The state's sparse arrays, decoded. */
function decode(s: ModelState): { w: Map<number, number>; g: Map<number, number> } {
  const index = decodeBase64(s.index, Int32Array);
  const weight = decodeBase64(s.weight, Float64Array);
  const sumSq = decodeBase64(s.sumSq, Float64Array);
  return {
    w: new Map([...index].map((j, k) => [j, weight[k]!])),
    g: new Map([...index].map((j, k) => [j, sumSq[k]!])),
  };
}

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) <= 1e-9, `${what}: ${a} vs ${b}`);

describe('GenderModel: hashing', () => {
  it('FNV-1a matches its published test vectors', () => {
    // From the FNV reference (draft-eastlake-fnv): ASCII code units are the bytes.
    assert.equal(fnv1a(''), 0x811c9dc5);
    assert.equal(fnv1a('a'), 0xe40c292c);
    assert.equal(fnv1a('foobar'), 0xbf9cf968);
  });

  it('features are the hashed n-grams of ^name$, in order, for any bits and n-gram range', () => {
    const names = [
      'Anna',
      'Ma',
      'x',
      '',
      'Zoë',
      'Zoe\u0308',
      'Jean-Luc',
      'Maria Júlia',
      'Ярослав',
      'آناهیتا',
      ' ÇAĞRI ',
    ];
    for (const [bits, ngrams] of [
      [18, [1, 4]],
      [4, [1, 4]],
      [10, [2, 5]],
      [12, [3, 3]],
    ] as Array<[number, [number, number]]>) {
      const m = new GenderModel({ bits, ngrams });
      for (const name of names)
        assert.deepEqual([...m.features(name)], refFeatures(name, bits, ngrams), `${name} ${bits}`);
    }
  });

  it('normalises case and composition: Zoë composed and decomposed, upper and lower, are one name', () => {
    const m = new GenderModel();
    assert.deepEqual(m.features('ZOË'), m.features('zoe\u0308'));
  });

  it('cuts a name at 64 characters, so one long record cannot make a step slow', () => {
    const m = new GenderModel();
    assert.deepEqual(m.features('a'.repeat(10_000)), m.features('a'.repeat(64)));
    assert.equal(m.features('a'.repeat(64)).length, refFeatures('a'.repeat(64), 18, [1, 4]).length);
  });
});

describe('GenderModel: the AdaGrad step against a plain reference', () => {
  // Few buckets force collisions, so an index repeats within a name ("anna" repeats n-grams anyway).
  for (const [bits, lr, ngrams] of [
    [18, 0.2, [1, 4]],
    [3, 0.5, [1, 4]],
    [8, 1, [2, 3]],
  ] as Array<[number, number, [number, number]]>) {
    it(`bits=${bits} lr=${lr} ngrams=${ngrams}: predictions, losses, weights and sums agree step by step`, () => {
      const model = new GenderModel({ bits, lr, ngrams });
      const ref = new RefModel(bits, lr, ngrams);
      const steps: Array<[string, Label]> = [
        ['Anna', 'female'],
        ['John', 'male'],
        ['Joanna', 'female'],
        ['Anna', 'female'],
        ['Hannah', 'female'],
        ['Jonas', 'male'],
        ['Anna', 'male'], // a contradicting label moves the weights back
        ['Zoë', 'female'],
      ];
      for (const [i, [name, label]] of steps.entries()) {
        // Half the steps predict first (learn reuses predict's features), half learn cold.
        if (i % 2 === 0) close(model.predict(name).pFemale, ref.p(name), `p before step ${i}`);
        const { loss } = model.learn(name, label);
        close(loss, ref.learn(name, label), `loss at step ${i}`);
        const s = model.toState();
        const { w, g } = decode(s);
        assert.deepEqual(
          [...w.keys()].sort((a, b) => a - b),
          [...ref.w.keys()].sort((a, b) => a - b),
        );
        for (const [j, v] of ref.w) close(w.get(j)!, v, `w[${j}] after step ${i}`);
        for (const [j, v] of ref.g) close(g.get(j)!, v, `G[${j}] after step ${i}`);
        close(s.bias, ref.b, `bias after step ${i}`);
        close(s.biasG, ref.gb, `bias G after step ${i}`);
        assert.equal(model.seen, i + 1);
      }
    });
  }

  it("the step's gradient (p - y per occurrence) is the loss's derivative, by finite differences", () => {
    const ref = new RefModel(6, 0.3, [1, 4]);
    for (const [n, l] of [
      ['Maria', 'female'],
      ['Mario', 'male'],
      ['Anna', 'female'],
    ] as Array<[string, Label]>)
      ref.learn(n, l);
    const eps = 1e-6;
    for (const [name, y] of [
      ['Annabel', 1],
      ['Otto', 0],
    ] as Array<[string, number]>) {
      const g = ref.p(name) - y;
      const counts = countsOf(refFeatures(name, 6, [1, 4]));
      for (const [j, c] of counts) {
        const d =
          (ref.lossAt(name, y, new Map([[j, eps]]), 0) - ref.lossAt(name, y, new Map([[j, -eps]]), 0)) / (2 * eps);
        assert.ok(Math.abs(d - c * g) < 1e-6, `∂loss/∂w[${j}] ${d} vs ${c * g}`);
      }
      const db = (ref.lossAt(name, y, new Map(), eps) - ref.lossAt(name, y, new Map(), -eps)) / (2 * eps);
      assert.ok(Math.abs(db - g) < 1e-6, `∂loss/∂b ${db} vs ${g}`);
    }
  });

  it('a learn after predicting another name uses the right features', () => {
    const a = new GenderModel();
    const b = new GenderModel();
    a.predict('Anna');
    a.features('Boris'); // overwrites the buffer predict() left
    a.learn('Anna', 'female');
    b.learn('Anna', 'female');
    assert.deepEqual(a.toState(), b.toState());
  });
});

/** Test-then-train over the users, with the baseline and windows recomputed by brute force beside it. */
function prequential(model: GenderModel, users: Array<{ first: string; gender: Label }>, ev = new PrequentialEval()) {
  const records: Array<{ ok: boolean; loss: number; label: Label }> = [];
  for (const u of users) {
    const p = model.predict(u.first);
    const pTrue = u.gender === 'female' ? p.pFemale : 1 - p.pFemale;
    ev.record(p.label, pTrue, u.gender);
    records.push({ ok: p.label === u.gender, loss: -Math.log(pTrue), label: u.gender });
    model.learn(u.first, u.gender);
  }
  return { ev, records };
}

const users = (seed: string, n: number) =>
  generateUsers({ seed, page: 1, results: n, now: 0 }).results.map((u) => ({ first: u.name.first, gender: u.gender }));

describe('GenderModel: prequential accuracy on generated users', () => {
  it('is >= 0.85 after 5000 users, and >= 0.15 above the majority baseline', () => {
    const data = users('model-test', 5000);
    const { ev, records } = prequential(new GenderModel(), data);
    // The majority-class baseline, by brute force: the commoner label among those before (ties: female).
    let baselineHits = 0;
    for (let i = 0; i < data.length; i++) {
      const before = data.slice(0, i);
      const females = before.filter((u) => u.gender === 'female').length;
      const majority: Label = females >= before.length - females ? 'female' : 'male';
      if (majority === data[i]!.gender) baselineHits++;
    }
    const accuracy = records.filter((r) => r.ok).length / records.length;
    const baseline = baselineHits / data.length;
    assert.ok(accuracy >= 0.85, `prequential accuracy ${accuracy}`);
    assert.ok(accuracy - baseline >= 0.15, `accuracy ${accuracy} vs majority baseline ${baseline}`);

    const s = ev.snapshot();
    assert.equal(s.n, 5000);
    close(s.accuracy, accuracy, 'accuracy');
    close(s.baselineAccuracy, baseline, 'baseline accuracy');
    close(s.logLoss, records.reduce((a, r) => a + r.loss, 0) / records.length, 'log-loss');
    const last = records.slice(-ev.window);
    close(s.windowAccuracy, last.filter((r) => r.ok).length / last.length, 'window accuracy');
    assert.ok(Math.abs(s.windowLogLoss - last.reduce((a, r) => a + r.loss, 0) / last.length) < 1e-9);
    // The baseline's log-loss: Laplace-smoothed class frequencies before each label.
    let bl = 0;
    data.forEach((u, i) => {
      const same = data.slice(0, i).filter((v) => v.gender === u.gender).length;
      bl -= Math.log((same + 1) / (i + 2));
    });
    close(s.baselineLogLoss, bl / data.length, 'baseline log-loss');
    assert.ok(s.logLoss < s.baselineLogLoss, 'the model beats the baseline in log-loss too');
  });
});

describe('state round trip', () => {
  it('a model and its evaluation restored halfway continue exactly as if never stopped', () => {
    const data = users('roundtrip', 5000);
    const straightModel = new GenderModel();
    const straight = prequential(straightModel, data, new PrequentialEval(300));

    const firstModel = new GenderModel();
    const first = prequential(firstModel, data.slice(0, 2500), new PrequentialEval(300));
    // Through JSON text, as the engine stores it.
    const modelState = JSON.parse(JSON.stringify(firstModel.toState())) as ModelState;
    const evalState = JSON.parse(JSON.stringify(first.ev.toState()));
    const restored = GenderModel.fromState(modelState);
    assert.equal(restored.seen, 2500);
    const second = prequential(restored, data.slice(2500), PrequentialEval.fromState(evalState));

    assert.deepEqual(restored.toState(), straightModel.toState());
    assert.deepEqual(second.ev.snapshot(), straight.ev.snapshot());
    assert.deepEqual(second.ev.toState(), straight.ev.toState());
    assert.deepEqual([...first.records, ...second.records], straight.records, 'the same predictions, user by user');
    assert.equal(restored.seen, 5000);
  });

  it('the state is sparse: only updated buckets are stored', () => {
    const model = new GenderModel();
    prequential(model, users('sparse', 200));
    const s = model.toState();
    const stored = decode(s).w.size;
    assert.ok(stored > 0 && stored < 2 ** 18 / 10, `${stored} buckets stored`);
    assert.equal(Buffer.from(s.index, 'base64').length, stored * 4);
  });

  it('refuses settings out of range with a typed error', () => {
    for (const opts of [{ bits: 0 }, { bits: 29 }, { lr: 0 }, { ngrams: [3, 2] as [number, number] }]) {
      assert.throws(() => new GenderModel(opts), { code: 'RUNNEL_CONFIG_INVALID' }, JSON.stringify(opts));
    }
    assert.throws(() => new PrequentialEval(0), { code: 'RUNNEL_CONFIG_INVALID' });
  });

  it('refuses a state from another version or with inconsistent arrays', () => {
    const s = new GenderModel().toState();
    assert.throws(() => GenderModel.fromState({ ...s, version: 2 as 1 }), { code: 'RUNNEL_INTERNAL' });
    assert.throws(() =>
      GenderModel.fromState({ ...s, weight: Buffer.from(new Float64Array(3).buffer).toString('base64') }),
    );
  });
});

describe('PrequentialEval', () => {
  it('windows and baseline by brute force, including before the window fills and at n = 0', () => {
    const ev = new PrequentialEval(4);
    assert.deepEqual(ev.snapshot(), {
      n: 0,
      accuracy: 0,
      logLoss: 0,
      baselineAccuracy: 0,
      baselineLogLoss: 0,
      windowN: 0,
      windowAccuracy: 0,
      windowBaselineAccuracy: 0,
      windowLogLoss: 0,
      windowBaselineLogLoss: 0,
    });
    const labels: Label[] = ['male', 'male', 'female', 'male', 'female', 'female', 'female', 'male', 'female'];
    const hist: Array<{ ok: number; base: number }> = [];
    labels.forEach((actual, i) => {
      const predicted: Label = i % 3 === 0 ? 'female' : 'male';
      ev.record(predicted, 0.7, actual);
      const before = labels.slice(0, i);
      const f = before.filter((l) => l === 'female').length;
      hist.push({
        ok: predicted === actual ? 1 : 0,
        base: (f >= before.length - f ? 'female' : 'male') === actual ? 1 : 0,
      });
      const last = hist.slice(-4);
      const s = ev.snapshot();
      assert.equal(s.windowN, last.length);
      close(s.windowAccuracy, last.reduce((a, h) => a + h.ok, 0) / last.length, `window accuracy at ${i}`);
      close(s.windowBaselineAccuracy, last.reduce((a, h) => a + h.base, 0) / last.length, `window baseline at ${i}`);
      close(s.accuracy, hist.reduce((a, h) => a + h.ok, 0) / hist.length, `accuracy at ${i}`);
      close(s.windowLogLoss, -Math.log(0.7), 'window log-loss');
      // Restored at every point, it reports the same.
      assert.deepEqual(PrequentialEval.fromState(JSON.parse(JSON.stringify(ev.toState()))).snapshot(), s);
    });
  });
});
