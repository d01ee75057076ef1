/**
 * Nationality from a name (first and last, e.g. "Maren Dam"), learnt online: the gender model's hashed
 * n-grams (features.ts) under a softmax over the classes instead of a sigmoid, with AdaGrad per weight.
 *
 * The math, for features f_1..f_m (c_j counts index j), classes 1..K and the true class y:
 *   z_k = b_k + Σ_i W[f_i][k],  p = softmax(z),  loss = -log p_y
 *   g_k = p_k - [k = y] (the loss's derivative in z_k), so ∂loss/∂W[j][k] = c_j·g_k and ∂loss/∂b_k = g_k
 *   AdaGrad, per weight: G += grad²,  W -= lr·grad / √G  (a zero gradient changes nothing).
 * Weights are bucket-major (W[j][k] at j·K + k), so one name's updates touch a few contiguous runs.
 */
import { ErrorCodes, RunnelError } from '../../index.ts';
import { fromBase64, NgramHasher, sortFeatures, toBase64 } from './features.ts';
import { NATIONALITY_CODES } from './nationalities.ts';

export interface NatModelOptions {
  /** log2 of the number of hashed buckets (default 16: each bucket holds a weight per class). */
  bits?: number;
  /** AdaGrad's base learning rate (default 0.1: 0.2 and up overfit, log-loss 2.2 vs 1.6 on generated users). */
  lr?: number;
  /** Shortest and longest n-gram, over "^name$" (default [1, 4]). */
  ngrams?: [number, number];
  /** The labels (default randomuser's nationalities). */
  classes?: readonly string[];
}

/** Sparse as the gender model's: per updated bucket its K weights and K AdaGrad sums, bucket by bucket. */
export interface NatModelState {
  version: 1;
  bits: number;
  lr: number;
  ngrams: [number, number];
  classes: string[];
  seen: number;
  bias: string;
  biasG: string;
  index: string;
  weight: string;
  sumSq: string;
}

export class NatModel {
  readonly bits: number;
  readonly lr: number;
  readonly ngrams: [number, number];
  readonly classes: readonly string[];
  private readonly classIndex: Map<string, number>;
  private readonly k: number;
  private readonly hasher: NgramHasher;
  private readonly w: Float64Array;
  private readonly sumSq: Float64Array;
  private readonly bias: Float64Array;
  private readonly biasG: Float64Array;
  /** Scratch: the scores, then the probabilities, of the last name scored. */
  private readonly p: Float64Array;
  private count = 0;
  /** As GenderModel: predict() leaves the features and probabilities for learn() on the same name. */
  private lastName: string | undefined;
  private lastM = 0;

  constructor(opts: NatModelOptions = {}) {
    this.bits = opts.bits ?? 16;
    this.lr = opts.lr ?? 0.1;
    this.ngrams = opts.ngrams ?? [1, 4];
    this.classes = [...(opts.classes ?? NATIONALITY_CODES)];
    if (!(this.lr > 0)) throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'lr must be > 0');
    if (this.classes.length < 2 || new Set(this.classes).size !== this.classes.length) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'classes must be two or more distinct labels');
    }
    this.hasher = new NgramHasher({ bits: this.bits, ngrams: this.ngrams });
    this.k = this.classes.length;
    this.classIndex = new Map(this.classes.map((c, i) => [c, i]));
    this.w = new Float64Array((1 << this.bits) * this.k);
    this.sumSq = new Float64Array((1 << this.bits) * this.k);
    this.bias = new Float64Array(this.k);
    this.biasG = new Float64Array(this.k);
    this.p = new Float64Array(this.k);
  }

  /** Names learnt from. */
  get seen(): number {
    return this.count;
  }

  features(name: string): Int32Array {
    this.lastName = undefined; // hashing overwrites what predict() left for learn()
    const m = this.hasher.hash(name); // first: hashing may replace the buffer with a bigger one
    return this.hasher.buf.slice(0, m);
  }

  /** The likeliest class, its probability, and every class's (in `classes` order). */
  predict(name: string): { label: string; p: number; probs: Float64Array } {
    const m = this.hasher.hash(name);
    this.softmax(m);
    this.lastName = name;
    this.lastM = m;
    const p = this.p;
    let best = 0;
    for (let k = 1; k < this.k; k++) if (p[k]! > p[best]!) best = k;
    return { label: this.classes[best]!, p: p[best]!, probs: p.slice() };
  }

  /** One AdaGrad step (see the header); the loss is the one before the step. */
  learn(name: string, label: string): { loss: number } {
    const y = this.classIndex.get(label);
    if (y === undefined) throw new RunnelError(ErrorCodes.INPUT_MALFORMED, `unknown class ${JSON.stringify(label)}`);
    let m: number;
    if (name === this.lastName) m = this.lastM;
    else {
      m = this.hasher.hash(name);
      this.softmax(m);
    }
    this.lastName = undefined; // the weights change below
    this.count++;
    const { p, k: K, w, sumSq, lr, bias, biasG } = this;
    const loss = -Math.log(Math.max(p[y]!, Number.MIN_VALUE));
    p[y]! -= 1; // p is now the gradient in z
    const buf = this.hasher.buf;
    sortFeatures(buf, m);
    for (let i = 0; i < m; ) {
      const j = buf[i]!;
      let c = 1;
      while (i + c < m && buf[i + c] === j) c++;
      i += c;
      const row = j * K;
      for (let k = 0; k < K; k++) {
        const grad = c * p[k]!;
        if (grad === 0) continue;
        sumSq[row + k]! += grad * grad;
        w[row + k]! -= (lr * grad) / Math.sqrt(sumSq[row + k]!);
      }
    }
    for (let k = 0; k < K; k++) {
      const g = p[k]!;
      if (g === 0) continue;
      biasG[k]! += g * g;
      bias[k]! -= (lr * g) / Math.sqrt(biasG[k]!);
    }
    return { loss };
  }

  toState(): NatModelState {
    const { sumSq, w, k: K } = this;
    const buckets = sumSq.length / K;
    const touched: number[] = [];
    for (let j = 0; j < buckets; j++) {
      for (let k = 0; k < K; k++) {
        if (sumSq[j * K + k] !== 0) {
          touched.push(j);
          break;
        }
      }
    }
    const weight = new Float64Array(touched.length * K);
    const sums = new Float64Array(touched.length * K);
    touched.forEach((j, i) => {
      weight.set(w.subarray(j * K, j * K + K), i * K);
      sums.set(sumSq.subarray(j * K, j * K + K), i * K);
    });
    return {
      version: 1,
      bits: this.bits,
      lr: this.lr,
      ngrams: [this.ngrams[0], this.ngrams[1]],
      classes: [...this.classes],
      seen: this.count,
      bias: toBase64(this.bias),
      biasG: toBase64(this.biasG),
      index: toBase64(Int32Array.from(touched)),
      weight: toBase64(weight),
      sumSq: toBase64(sums),
    };
  }

  static fromState(s: NatModelState): NatModel {
    if (s.version !== 1)
      throw new RunnelError(ErrorCodes.INTERNAL, `unknown NatModel state version ${String(s.version)}`);
    const model = new NatModel({ bits: s.bits, lr: s.lr, ngrams: s.ngrams, classes: s.classes });
    const K = model.k;
    const index = new Int32Array(fromBase64(s.index));
    const weight = new Float64Array(fromBase64(s.weight));
    const sums = new Float64Array(fromBase64(s.sumSq));
    const bias = new Float64Array(fromBase64(s.bias));
    const biasG = new Float64Array(fromBase64(s.biasG));
    if (
      weight.length !== index.length * K ||
      sums.length !== index.length * K ||
      bias.length !== K ||
      biasG.length !== K
    ) {
      throw new RunnelError(ErrorCodes.INTERNAL, 'NatModel state: lengths differ');
    }
    index.forEach((j, i) => {
      if (j < 0 || j > model.hasher.mask)
        throw new RunnelError(ErrorCodes.INTERNAL, `NatModel state: index ${j} out of range`);
      model.w.set(weight.subarray(i * K, i * K + K), j * K);
      model.sumSq.set(sums.subarray(i * K, i * K + K), j * K);
    });
    model.bias.set(bias);
    model.biasG.set(biasG);
    model.count = s.seen;
    return model;
  }

  /** Leaves softmax(z) of the name's features (in the hasher's buffer) in `p`. */
  private softmax(m: number): void {
    const { p, bias, w, k: K } = this;
    const buf = this.hasher.buf;
    p.set(bias);
    for (let i = 0; i < m; i++) {
      const row = buf[i]! * K;
      for (let k = 0; k < K; k++) p[k]! += w[row + k]!;
    }
    let max = -Infinity;
    for (let k = 0; k < K; k++) if (p[k]! > max) max = p[k]!;
    let sum = 0;
    for (let k = 0; k < K; k++) {
      const e = Math.exp(p[k]! - max);
      p[k] = e;
      sum += e;
    }
    for (let k = 0; k < K; k++) p[k]! /= sum;
  }
}
