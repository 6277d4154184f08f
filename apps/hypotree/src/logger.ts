import { ConsoleLogger, type LogLevel } from '@nestjs/common';

/** Nest's console logger writing every level to stderr, so stdout keeps only the summary (and `--json`). */
export class StderrLogger extends ConsoleLogger {
  protected override printMessages(messages: unknown[], context?: string, logLevel?: LogLevel, _stream?: 'stdout' | 'stderr', errorStack?: unknown, params?: Record<string, unknown>): void {
    super.printMessages(messages, context, logLevel, 'stderr', errorStack, params);
  }
}

/** The services' logger for `hypotree run`: everything with --verbose; over NATS at least warnings (rejected messages, lost peers); else silent. */
export function runLogger(verbose: boolean, distributed: boolean): StderrLogger | false {
  if (verbose) return new StderrLogger();
  return distributed ? new StderrLogger({ logLevels: ['warn', 'error', 'fatal'] }) : false;
}
