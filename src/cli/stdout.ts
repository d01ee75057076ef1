/**
 * What a closed stdout means (`runnel topics | head -3`: the reader has all it wanted, not a crash). By
 * default the process exits 0; a command that has other work than printing (`consume`, whose printer is
 * only a view of what it processes) takes the EPIPE itself and goes on.
 */
let onClosed: (() => void) | undefined;

process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  if (onClosed) onClosed();
  else process.exit(0);
});

/** While `fn` is set, a closed stdout calls it instead of exiting; returns what puts the default back. */
export function whenStdoutCloses(fn: () => void): () => void {
  onClosed = fn;
  return () => {
    if (onClosed === fn) onClosed = undefined;
  };
}
