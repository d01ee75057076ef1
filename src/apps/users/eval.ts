/**
 * Prequential ("test then train") evaluation of an online classifier: each record is a prediction made before
 * the model learnt from that example, so every figure is on unseen data. Beside it runs a majority-class
 * baseline, the same way, over all records and over the last `window`.
 */
import { ErrorCodes, RunnelError } from '../../index.ts';

/** What PrequentialEval.snapshot reports; rates are 0 before any record. */
export interface EvalSnapshot {
  n: number;
  accuracy: number;
  logLoss: number;
  /** The commonest class so far, predicted before each label is seen (ties: the earlier in `classes`). */
  baselineAccuracy: number;
  /** The class frequencies so far, Laplace-smoothed ((count + 1) / (n + classes)), before each label. */
  baselineLogLoss: number;
  /** Records in the window (up to its size). */
  windowN: number;
  windowAccuracy: number;
  windowBaselineAccuracy: number;
  windowLogLoss: number;
  windowBaselineLogLoss: number;
}

export interface EvalState {
  version: 1;
  window: number;
  classes: string[];
  n: number;
  /** Records per class, in `classes` order. */
  counts: number[];
  correct: number;
  baselineCorrect: number;
  logLossSum: number;
  baselineLogLossSum: number;
  /** The window's records, oldest first, and its running sums (kept, not recomputed, to continue exactly). */
  recent: Array<[modelCorrect: 0 | 1, baselineCorrect: 0 | 1, logLoss: number, baselineLogLoss: number]>;
  windowSums: [correct: number, baselineCorrect: number, logLoss: number, baselineLogLoss: number];
}

/** The log-loss of a probability of 0 would be infinite: it counts as this one. */
const MIN_P = 1e-15;

export class PrequentialEval<L extends string = 'male' | 'female'> {
  readonly window: number;
  readonly classes: readonly L[];
  private readonly classIndex: Map<string, number>;
  private n = 0;
  private readonly counts: Float64Array;
  private correct = 0;
  private baselineCorrect = 0;
  private logLossSum = 0;
  private baselineLogLossSum = 0;
  // A ring over the last `window` records, slot = record number % window.
  private readonly ringCorrect: Uint8Array;
  private readonly ringBaseline: Uint8Array;
  private readonly ringLoss: Float64Array;
  private readonly ringBaselineLoss: Float64Array;
  private sums: [number, number, number, number] = [0, 0, 0, 0];

  /** `classes` default to the gender model's, female first (so the baseline says female on a tie). */
  constructor(window = 500, classes: readonly L[] = ['female', 'male'] as unknown as readonly L[]) {
    if (!Number.isInteger(window) || window < 1)
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'window must be a whole number >= 1');
    if (classes.length < 2 || new Set(classes).size !== classes.length) {
      throw new RunnelError(ErrorCodes.CONFIG_INVALID, 'classes must be two or more distinct labels');
    }
    this.window = window;
    this.classes = [...classes];
    this.classIndex = new Map(classes.map((c, i) => [c, i]));
    this.counts = new Float64Array(classes.length);
    this.ringCorrect = new Uint8Array(window);
    this.ringBaseline = new Uint8Array(window);
    this.ringLoss = new Float64Array(window);
    this.ringBaselineLoss = new Float64Array(window);
  }

  /** `pTrue` is the probability the model gave the actual label. */
  record(predicted: L, pTrue: number, actual: L): void {
    const a = this.classIndex.get(actual);
    if (a === undefined) throw new RunnelError(ErrorCodes.INPUT_MALFORMED, `unknown class ${JSON.stringify(actual)}`);
    let majority = 0;
    for (let k = 1; k < this.counts.length; k++) if (this.counts[k]! > this.counts[majority]!) majority = k;
    const prior = (this.counts[a]! + 1) / (this.n + this.counts.length);
    const ok = predicted === actual ? 1 : 0;
    const baseOk = majority === a ? 1 : 0;
    const loss = -Math.log(Math.max(pTrue, MIN_P));
    const baseLoss = -Math.log(prior);
    this.push(ok, baseOk, loss, baseLoss);
    this.n++;
    this.counts[a]!++;
    this.correct += ok;
    this.baselineCorrect += baseOk;
    this.logLossSum += loss;
    this.baselineLogLossSum += baseLoss;
  }

  snapshot(): EvalSnapshot {
    const rate = (x: number, n: number) => (n === 0 ? 0 : x / n);
    const w = Math.min(this.n, this.window);
    const [c, bc, l, bl] = this.sums;
    return {
      n: this.n,
      accuracy: rate(this.correct, this.n),
      logLoss: rate(this.logLossSum, this.n),
      baselineAccuracy: rate(this.baselineCorrect, this.n),
      baselineLogLoss: rate(this.baselineLogLossSum, this.n),
      windowN: w,
      windowAccuracy: rate(c, w),
      windowBaselineAccuracy: rate(bc, w),
      windowLogLoss: rate(l, w),
      windowBaselineLogLoss: rate(bl, w),
    };
  }

  toState(): EvalState {
    const w = Math.min(this.n, this.window);
    const recent: EvalState['recent'] = [];
    for (let k = this.n - w; k < this.n; k++) {
      const i = k % this.window;
      recent.push([
        this.ringCorrect[i] as 0 | 1,
        this.ringBaseline[i] as 0 | 1,
        this.ringLoss[i]!,
        this.ringBaselineLoss[i]!,
      ]);
    }
    return {
      version: 1,
      window: this.window,
      classes: [...this.classes],
      n: this.n,
      counts: [...this.counts],
      correct: this.correct,
      baselineCorrect: this.baselineCorrect,
      logLossSum: this.logLossSum,
      baselineLogLossSum: this.baselineLogLossSum,
      recent,
      windowSums: [...this.sums],
    };
  }

  static fromState<L extends string = 'male' | 'female'>(s: EvalState): PrequentialEval<L> {
    if (s.version !== 1)
      throw new RunnelError(ErrorCodes.INTERNAL, `unknown PrequentialEval state version ${String(s.version)}`);
    if (s.counts.length !== s.classes.length || s.recent.length > Math.min(s.n, s.window)) {
      throw new RunnelError(ErrorCodes.INTERNAL, 'PrequentialEval state: inconsistent');
    }
    const e = new PrequentialEval<L>(s.window, s.classes as L[]);
    // Ring slots are by absolute record number, so the restored ring lines up with the counts.
    s.recent.forEach(([ok, baseOk, loss, baseLoss], j) => {
      const i = (s.n - s.recent.length + j) % s.window;
      e.ringCorrect[i] = ok;
      e.ringBaseline[i] = baseOk;
      e.ringLoss[i] = loss;
      e.ringBaselineLoss[i] = baseLoss;
    });
    e.n = s.n;
    e.counts.set(s.counts);
    e.correct = s.correct;
    e.baselineCorrect = s.baselineCorrect;
    e.logLossSum = s.logLossSum;
    e.baselineLogLossSum = s.baselineLogLossSum;
    e.sums = [...s.windowSums];
    return e;
  }

  private push(ok: number, baseOk: number, loss: number, baseLoss: number): void {
    const i = this.n % this.window;
    const s = this.sums;
    if (this.n >= this.window) {
      s[0] -= this.ringCorrect[i]!;
      s[1] -= this.ringBaseline[i]!;
      s[2] -= this.ringLoss[i]!;
      s[3] -= this.ringBaselineLoss[i]!;
    }
    this.ringCorrect[i] = ok;
    this.ringBaseline[i] = baseOk;
    this.ringLoss[i] = loss;
    this.ringBaselineLoss[i] = baseLoss;
    s[0] += ok;
    s[1] += baseOk;
    s[2] += loss;
    s[3] += baseLoss;
  }
}
