export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  debug(message: string): void;
}

/** Logs to stderr so stdout stays clean for data (`runnel tail`). */
export function createLogger(options: { verbose?: boolean; quiet?: boolean; prefix?: string } = {}): Logger {
  const p = options.prefix ? `[${options.prefix}] ` : '';
  return {
    info: (m) => {
      if (!options.quiet) process.stderr.write(`${p}${m}\n`);
    },
    warn: (m) => process.stderr.write(`${p}warn: ${m}\n`),
    error: (m) => process.stderr.write(`${p}error: ${m}\n`),
    debug: (m) => {
      if (options.verbose) process.stderr.write(`${p}debug: ${m}\n`);
    },
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
