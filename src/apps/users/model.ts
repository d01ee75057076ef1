/**
 * Gender from a first name, learnt online: character n-grams, feature hashing, logistic regression with
 * AdaGrad. No maintained JS library learns online, and the model is small, so it is written here, with its
 * math tested against a plain reference (model.test.ts).
 *
 * The math, for one name with hashed features f_1..f_m (an index may repeat; c_j counts index j):
 *   z = b + Σ_k w[f_k],  p = σ(z) = P(female),  y = 1 if female else 0,  loss = -log(p if y else 1 - p)
 *   g = p - y (the loss's derivative in z), so ∂loss/∂w_j = c_j·g and ∂loss/∂b = g
 *   AdaGrad, per weight: G_j += (c_j·g)²,  w_j -= lr·c_j·g / √G_j  (and the same for b with G_b).
 * A zero gradient leaves everything as it is (it would be 0/0 on an untouched weight).
 * Names are normalised and hashed as features.ts says.
 */
import { ErrorCodes, RunnelError } from '../../index.ts';
import { fromBase64, NgramHasher, normaliseName, softplus, sortFeatures, toBase64 } from './features.ts';

export { type EvalSnapshot, type EvalState, PrequentialEval } from './eval.ts';
export { normaliseName };

export type Label = 'male' | 'female';

export interface GenderModelOptions {
  /** log2 of the number of hashed buckets (default 18). */
  bits?: number;
  /** AdaGrad's base learning rate (default 0.2: the best prequential log-loss on generated users of 0.1..1). */
  lr?: number;
  /** Shortest and longest n-gram, over "^name$" (default [1, 4]). */
  ngrams?: [number, number];
}

/**
 * The model as JSON, sparse: only the buckets ever updated, as base64 of little-endian typed arrays (indices
 * ascending as Int32, weights and AdaGrad sums as Float64, so a restored model continues bit for bit).
 */
export interface ModelState {
  version: 1;
  bits: number;
  lr: number;
  ngrams: [number, number];
  seen: number;
  bias: number;
  biasG: number;
  index: string;
  weight: string;
  sumSq: string;
}

export class GenderModel {
  readonly bits: number;
  readonly lr: number;
  readonly ngrams: [number, number];
  private readonly hasher: NgramHasher;
  private readonly w: Float64Array;
  private readonly sumSq: Float64Array;
  private bias = 0;
  private biasG = 0;
  private count = 0;
  /** predict() leaves its features and z here so that learn() on the same name does not redo them. */
  private lastName: string | undefined;
  private lastM = 0;
  private lastZ = 0;

  constructor(opts: GenderModelOptions = {}) {
    this.bits = opts.bits ?? 18;
    this.lr = opts.lr ?? 0.2;
    this.ngrams = opts.ngrams ?? [1, 4];
    if (!(this.lr > 0)) throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'lr must be > 0');
    this.hasher = new NgramHasher({ bits: this.bits, ngrams: this.ngrams });
    this.w = new Float64Array(1 << this.bits);
    this.sumSq = new Float64Array(1 << this.bits);
  }

  /** Users learnt from. */
  get seen(): number {
    return this.count;
  }

  /** The name's hashed n-gram indices, in n-gram order (an index repeats when an n-gram or a collision does). */
  features(name: string): Int32Array {
    this.lastName = undefined; // hashing overwrites the features predict() left for learn()
    const m = this.hasher.hash(name); // first: hashing may replace the buffer with a bigger one
    return this.hasher.buf.slice(0, m);
  }

  predict(name: string): { label: Label; pFemale: number } {
    const m = this.hasher.hash(name);
    const z = this.score(m);
    this.lastName = name;
    this.lastM = m;
    this.lastZ = z;
    const pFemale = sigmoid(z);
    return { label: pFemale > 0.5 ? 'female' : 'male', pFemale };
  }

  /** One AdaGrad step on the name (see the header); the loss is the one before the step. */
  learn(name: string, label: Label): { loss: number } {
    let m: number;
    let z: number;
    if (name === this.lastName) {
      m = this.lastM;
      z = this.lastZ;
    } else {
      m = this.hasher.hash(name);
      z = this.score(m);
    }
    this.lastName = undefined; // the weights change below
    this.count++;
    const y = label === 'female' ? 1 : 0;
    const g = sigmoid(z) - y;
    const loss = softplus(y === 1 ? -z : z);
    if (g === 0) return { loss };
    const buf = this.hasher.buf;
    sortFeatures(buf, m);
    const { w, sumSq, lr } = this;
    for (let k = 0; k < m; ) {
      const j = buf[k]!;
      let c = 1;
      while (k + c < m && buf[k + c] === j) c++;
      k += c;
      const grad = c * g;
      sumSq[j]! += grad * grad;
      w[j]! -= (lr * grad) / Math.sqrt(sumSq[j]!);
    }
    this.biasG += g * g;
    this.bias -= (lr * g) / Math.sqrt(this.biasG);
    return { loss };
  }

  toState(): ModelState {
    const { sumSq, w } = this;
    let nz = 0;
    for (let j = 0; j < sumSq.length; j++) if (sumSq[j] !== 0) nz++;
    const index = new Int32Array(nz);
    const weight = new Float64Array(nz);
    const sums = new Float64Array(nz);
    for (let j = 0, k = 0; j < sumSq.length; j++) {
      if (sumSq[j] === 0) continue;
      index[k] = j;
      weight[k] = w[j]!;
      sums[k++] = sumSq[j]!;
    }
    return {
      version: 1,
      bits: this.bits,
      lr: this.lr,
      ngrams: [this.ngrams[0], this.ngrams[1]],
      seen: this.count,
      bias: this.bias,
      biasG: this.biasG,
      index: toBase64(index),
      weight: toBase64(weight),
      sumSq: toBase64(sums),
    };
  }

  static fromState(s: ModelState): GenderModel {
    if (s.version !== 1)
      throw new RunnelError(ErrorCodes.INTERNAL, `unknown GenderModel state version ${String(s.version)}`);
    const model = new GenderModel({ bits: s.bits, lr: s.lr, ngrams: s.ngrams });
    const index = new Int32Array(fromBase64(s.index));
    const weight = new Float64Array(fromBase64(s.weight));
    const sums = new Float64Array(fromBase64(s.sumSq));
    if (weight.length !== index.length || sums.length !== index.length)
      throw new RunnelError(ErrorCodes.INTERNAL, 'GenderModel state: lengths differ');
    for (let k = 0; k < index.length; k++) {
      const j = index[k]!;
      if (j < 0 || j > model.hasher.mask)
        throw new RunnelError(ErrorCodes.INTERNAL, `GenderModel state: index ${j} out of range`);
      model.w[j] = weight[k]!;
      model.sumSq[j] = sums[k]!;
    }
    model.count = s.seen;
    model.bias = s.bias;
    model.biasG = s.biasG;
    return model;
  }

  private score(m: number): number {
    const { buf } = this.hasher;
    const w = this.w;
    let z = this.bias;
    for (let k = 0; k < m; k++) z += w[buf[k]!]!;
    return z;
  }
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}
