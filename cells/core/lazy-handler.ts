/**
 * A handler built on its first call and kept for the life of the process (a Lambda container, a
 * Functions worker), so a cold start pays for composing once and module load never fails. When the
 * build throws, `failed` deals with that call (logs, then answers or rethrows) and the next call
 * builds again, so the log shows the error for as long as it lasts.
 */
export function lazyHandler<A extends unknown[], R>(build: () => (...args: A) => Promise<R>, failed: (error: unknown, ...args: A) => R | Promise<R>): (...args: A) => Promise<R> {
  let handler: ((...args: A) => Promise<R>) | undefined;
  return async (...args) => {
    if (handler === undefined) {
      try {
        handler = build();
      } catch (error) {
        return failed(error, ...args);
      }
    }
    return handler(...args);
  };
}
