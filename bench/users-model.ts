/**
 * `node bench/users-model.ts`: users/s through the users app's gender model on one core, test-then-train
 * (predict, record the prequential evaluation, learn) as the app runs it, beside same-run baselines: hashing
 * the name's n-grams alone, and predicting alone. Also the offline randomuser generator's users/s, which feeds
 * it, and the optional nationality model's. Figures, not assertions (goal: >= 50k users/s through the model).
 */
import { GenderModel, type Label, PrequentialEval } from '../src/apps/users/model.ts';
import { NatModel } from '../src/apps/users/nat-model.ts';
import { generateUsers, NATIONALITY_CODES } from '../src/apps/users/randomuser.ts';

const ROUNDS = 7;

/** Median per second of ROUNDS rounds, by the wall clock and per second of this process's CPU time. */
function measure(n: number, run: () => number): [number, number] {
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    if (Number.isNaN(run())) throw new Error('NaN'); // the result is used, so no pass is dead code
    const used = process.cpuUsage(c);
    wall.push(Math.round((n * 1000) / (performance.now() - t)));
    cpu.push(Math.round((n * 1e6) / (used.user + used.system)));
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  return [median(wall), median(cpu)];
}

export function benchUsersModel(): Array<[string, number, string]> {
  const N = 20_000;
  let users: Array<{ first: string; full: string; gender: Label; nat: string }> = [];
  const [gen, genCpu] = measure(N, () => {
    users = [];
    for (let page = 1; page <= N / 5000; page++) {
      for (const u of generateUsers({ seed: 'bench', page, results: 5000 }).results) {
        users.push({ first: u.name.first, full: `${u.name.first} ${u.name.last}`, gender: u.gender, nat: u.nat });
      }
    }
    return users.length;
  });

  const hashOnly = new GenderModel();
  const [hash, hashCpu] = measure(N, () => {
    let s = 0;
    for (const u of users) s += hashOnly.features(u.first).length;
    return s;
  });

  // A model trained on one pass first, so predict-only meets the weights a running app has.
  const trained = new GenderModel();
  for (const u of users) trained.learn(u.first, u.gender);
  const [pred, predCpu] = measure(N, () => {
    let s = 0;
    for (const u of users) s += trained.predict(u.first).pFemale;
    return s;
  });

  // Each round is a fresh model and evaluation over the same users: the app's path from its first user.
  const [full, fullCpu] = measure(N, () => {
    const model = new GenderModel();
    const ev = new PrequentialEval();
    for (const u of users) {
      const p = model.predict(u.first);
      ev.record(p.label, u.gender === 'female' ? p.pFemale : 1 - p.pFemale, u.gender);
      model.learn(u.first, u.gender);
    }
    return ev.snapshot().accuracy;
  });

  // The optional nationality model: full names, 21 classes, so each step updates 21 weights per bucket.
  const [nat, natCpu] = measure(N, () => {
    const model = new NatModel();
    const ev = new PrequentialEval<string>(500, NATIONALITY_CODES);
    for (const u of users) {
      const p = model.predict(u.full);
      ev.record(p.label, p.probs[NATIONALITY_CODES.indexOf(u.nat)]!, u.nat);
      model.learn(u.full, u.nat);
    }
    return ev.snapshot().accuracy;
  });

  const x = (a: number, b: number) => `${(a / b).toFixed(2)}×`;
  const chars = users.reduce((n, u) => n + u.first.length, 0) / users.length;
  return [
    [
      'users model: predict+eval+learn',
      full,
      `${x(full, hash)} of hashing alone (goal ≥ 50k/s); per CPU second ${fullCpu}`,
    ],
    ['users model: predict only', pred, `${x(pred, hash)} of hashing alone; per CPU second ${predCpu}`],
    [
      'users model: features() (baseline)',
      hash,
      `baseline: hashing the n-grams, copied out; per CPU second ${hashCpu}; names average ${chars.toFixed(1)} chars`,
    ],
    ['users nat model: predict+eval+learn', nat, `21 classes, full names; per CPU second ${natCpu}`],
    ['users: randomuser generator (offline)', gen, `pages of 5000; per CPU second ${genCpu}`],
  ];
}

if (import.meta.main) {
  for (const [name, rate, note] of benchUsersModel()) {
    console.log(`${name.padEnd(42)} ${String(rate).padStart(9)} users/s   ${note}`);
  }
}
