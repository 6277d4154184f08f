/** What a long-lived service does on SIGTERM/SIGINT: stop taking work, finish or hand back what it has, close. */
export type StopService = (signal: NodeJS.Signals) => Promise<void>;

/**
 * Resolves once the service has stopped after SIGTERM or SIGINT. The first signal runs `stop`
 * (graceful); a second one exits at once with 130, for an operator who will not wait.
 */
export function untilStopped(stop: StopService, log: { log(message: string): void; error(message: string): void }): Promise<void> {
  return new Promise((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        log.error(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      log.log(`${signal}: stopping`);
      stop(signal).then(
        () => resolve(),
        (error: unknown) => {
          log.error(`stopping failed: ${(error as Error).message}`);
          process.exitCode = 1;
          resolve();
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
