/**
 * CSV records from lines (RFC 4180): a quoted field may hold newlines, so a record can span several
 * lines; it is known by the line it starts on, which is what a dead letter's `file:line` names.
 *
 * A quote opens a quoted field only at the start of a field (as papaparse reads it): a stray quote in an
 * unquoted field (`5" tall`) is a character, so counting quotes would have swallowed the rest of the file.
 */
export interface CsvRecordText {
  text: string;
  /** 1-based line the record starts on. */
  line: number;
}

export class CsvRecordSplitter {
  #buffer: string[] = [];
  #start = 0;
  #quoted = false;

  /** Feeds line `n` (without its newline); returns the record it completes, if any (blank records skipped). */
  push(line: string, n: number): CsvRecordText | undefined {
    if (this.#buffer.length === 0) this.#start = n;
    this.#buffer.push(line);
    this.#quoted = endsQuoted(line, this.#quoted);
    return this.#quoted ? undefined : this.#take();
  }

  /**
   * What is left at the end of input. A quote that never closed would make every line after it one
   * record, dead-lettered whole with the good lines in it: the line it opened on is taken alone (it fails
   * as a record of its own, with its line number) and the lines after it are split again.
   */
  end(): CsvRecordText[] {
    if (!this.#quoted || this.#buffer.length <= 1) {
      const last = this.#buffer.length > 0 ? this.#take() : undefined;
      return last ? [last] : [];
    }
    const [first, ...rest] = this.#buffer;
    const start = this.#start;
    this.#buffer = [];
    this.#quoted = false;
    const out: CsvRecordText[] = [{ text: first!, line: start }];
    rest.forEach((line, i) => {
      const r = this.push(line, start + 1 + i);
      if (r) out.push(r);
    });
    out.push(...this.end());
    return out;
  }

  #take(): CsvRecordText | undefined {
    const text = this.#buffer.join('\n');
    this.#buffer = [];
    this.#quoted = false;
    return text.trim() === '' ? undefined : { text, line: this.#start };
  }
}

/** Whether a quoted field is still open after `line`, given whether one was open before it. */
function endsQuoted(line: string, quoted: boolean): boolean {
  let inQuotes = quoted;
  let fieldStart = !quoted;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (inQuotes) {
      if (ch !== '"') continue;
      if (line[i + 1] === '"')
        i++; // an escaped quote
      else inQuotes = false;
    } else if (ch === ',') fieldStart = true;
    else {
      if (ch === '"' && fieldStart) inQuotes = true;
      fieldStart = false;
    }
  }
  return inQuotes;
}

/** The records of a whole text (a file read at once), each with its starting line. */
export function csvRecordTexts(text: string): CsvRecordText[] {
  const splitter = new CsvRecordSplitter();
  const out: CsvRecordText[] = [];
  text.split('\n').forEach((raw, i) => {
    const r = splitter.push(raw.endsWith('\r') ? raw.slice(0, -1) : raw, i + 1);
    if (r) out.push(r);
  });
  out.push(...splitter.end());
  return out;
}
