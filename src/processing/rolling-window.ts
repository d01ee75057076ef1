/** The last `size` numbers, with min/max/mean over them; sized by count as the seeds' `deque(maxlen=N)`. */
export class RollingWindow {
  readonly size: number;
  #values: number[] = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`window size must be an integer >= 1 (got ${size})`);
    this.size = size;
  }

  push(v: number): void {
    this.#values.push(v);
    if (this.#values.length > this.size) this.#values.shift();
  }

  get full(): boolean {
    return this.#values.length === this.size;
  }

  get length(): number {
    return this.#values.length;
  }

  get min(): number {
    return Math.min(...this.#values);
  }

  get max(): number {
    return Math.max(...this.#values);
  }

  get mean(): number {
    return this.#values.length === 0 ? 0 : this.#values.reduce((a, b) => a + b, 0) / this.#values.length;
  }

  values(): number[] {
    return [...this.#values];
  }

  restore(values: number[]): void {
    this.#values = values.slice(-this.size);
  }
}

/**
 * `a <= b` that forgives binary floating-point noise: 142.2 - 142.0 is 0.19999999999998863 but
 * 100.2 - 100.0 is 0.20000000000000284, and both must count as "within 0.2 °F". Readings carry a
 * fixed number of decimals, so anything closer than 1e-9 relative is the same number.
 */
export function lessOrClose(a: number, b: number): boolean {
  return a <= b || Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}
