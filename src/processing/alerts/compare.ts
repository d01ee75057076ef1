/**
 * `a <= b` that forgives binary floating-point noise: 142.2 - 142.0 is 0.19999999999998863 but
 * 100.2 - 100.0 is 0.20000000000000284, and both must count as "within 0.2 °F". Readings carry a
 * fixed number of decimals, so anything closer than 1e-9 relative is the same number.
 */
export function lessOrClose(a: number, b: number): boolean {
  return a <= b || close(a, b);
}

/** The same number but for float noise (1e-9 relative). */
export function close(a: number, b: number): boolean {
  return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
}

/** Fixed decimals for reasons; `-0.0` reads as `0.0`. */
export function fmt(x: number, decimals: number): string {
  const s = x.toFixed(decimals);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}
