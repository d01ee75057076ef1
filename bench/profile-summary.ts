/**
 * `node bench/profile-summary.ts FILE.cpuprofile [--top N]`: the functions with the most self time in a
 * `node --cpu-prof` profile, as percentages of the samples (idle and GC shown as their own rows).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export function topSelf(path: string, top = 20): string[] {
  const p = JSON.parse(readFileSync(path, 'utf8')) as {
    nodes: ProfileNode[];
    samples: number[];
    startTime: number;
    endTime: number;
  };
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  for (const id of p.samples) {
    const n = byId.get(id)!;
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/');
    const name = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
    self.set(name, (self.get(name) ?? 0) + 1);
  }
  const total = p.samples.length;
  const msPerSample = (p.endTime - p.startTime) / 1000 / total;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([name, n]) =>
        `${((n * 100) / total).toFixed(1).padStart(5)}% ${String(Math.round(n * msPerSample)).padStart(6)} ms  ${name}`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({
    options: { top: { type: 'string', default: '20' } },
    allowPositionals: true,
  });
  for (const f of positionals) {
    console.log(f);
    for (const line of topSelf(f, Number(values.top))) console.log(line);
  }
}
