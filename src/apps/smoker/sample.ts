import { ensureFile } from '../../index.ts';

/**
 * A realistic smoke, one reading a minute, generated rather than shipped: warm-up from room temperature,
 * a slowing climb, the classic stall near 160 °F (meat sweating, readings within ±0.1 °F for 90 minutes),
 * then the push to 203 °F and the finish. Unlike the seeds' file, the stall sits where real stalls do and
 * the climb after it is present, so "stall ended" can be seen too.
 */
export function smokerSampleCsv(): string {
  const start = Date.UTC(2025, 0, 1, 12, 0, 0);
  const lines = ['timestamp,temperature'];
  let t = 68;
  for (let minute = 0; minute < 330; minute++) {
    if (minute < 150)
      t += (158 - t) * 0.025 + 0.05; // warm-up, slowing as it nears the stall
    else if (minute < 240)
      t = 160 + [0, 0.1, 0.2, 0.1][minute % 4]!; // the stall: flat within 0.2 °F
    else if (t < 203) t = Math.min(203, t + 0.5); // the push after the stall
    const ts = new Date(start + minute * 60_000).toISOString().replace('T', ' ').slice(0, 19);
    lines.push(`${ts},${t.toFixed(1)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes the sample once into the data folder and returns its path. */
export function ensureSmokerSample(path: string): string {
  return ensureFile(path, smokerSampleCsv, 'the smoker sample');
}
