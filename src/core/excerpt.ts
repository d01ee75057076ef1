/** Characters JSON leaves as they are but a terminal would not show: DEL, C1, bidi and separator marks, BOM, U+FFFD. */
const INVISIBLE = /[\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ufffd]/g;

/** One character as it appears inside a JSON string, with the invisible ones escaped too. */
function escaped(c: string): string {
  return JSON.stringify(c)
    .slice(1, -1)
    .replace(INVISIBLE, (x) => `\\u${x.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A short excerpt of untrusted input for a one-line error message: a JSON string of at most `max`
 * characters once escaped, then `…` if cut. A binary file shows as `"\u007fELF\u0002…"` instead of
 * hundreds of raw bytes that garble the line or the terminal; JSON.parse gives the characters back.
 */
export function excerpt(text: string, max = 60): string {
  let out = '';
  let taken = 0;
  const points = [...text];
  for (const c of points) {
    const e = escaped(c);
    if (out.length + e.length > max) break;
    out += e;
    taken++;
  }
  return taken < points.length ? `"${out}"…` : `"${out}"`;
}

/** Text that is not text: NUL and other C0 controls (tab and line ends aside), DEL, or undecodable bytes. */
export function looksBinary(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  return /[\u0000-\u0008\u000e-\u001f\u007f\ufffd]/.test(text);
}
