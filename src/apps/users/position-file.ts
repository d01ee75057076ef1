import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ErrorCodes, RunnelError } from '../../index.ts';

/** Where the offline generator is: its seed and how many users of that seed are on the topic. */
export interface GeneratorPosition {
  seed: string;
  emitted: number;
}

/** The saved position, undefined when there is none yet; a file that is not one is refused, not guessed at. */
export async function loadPosition(file: string): Promise<GeneratorPosition | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<GeneratorPosition>;
    if (typeof v.seed === 'string' && Number.isInteger(v.emitted) && (v.emitted as number) >= 0) {
      return { seed: v.seed, emitted: v.emitted as number };
    }
  } catch {}
  // Starting over would repeat every user already produced: say so rather than guess.
  throw new RunnelError(
    ErrorCodes.INPUT_MALFORMED,
    `${file}: not a position of the users generator; remove it to start from the first user again`,
    { value: file },
  );
}

/** Written to a temporary file, flushed and renamed over the old one: a crash leaves one or the other. */
export async function savePosition(file: string, p: GeneratorPosition): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  const fh = await open(tmp, 'w');
  try {
    await fh.writeFile(`${JSON.stringify(p)}\n`);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
}
