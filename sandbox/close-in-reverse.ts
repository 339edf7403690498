/**
 * Runs every closer, last first, even when one fails; then throws the first failure. What was started
 * last depends on what was started first, so it goes first. The list is emptied as it goes, so a
 * second call closes nothing twice.
 */
export async function closeInReverse(closers: Array<() => unknown>): Promise<void> {
  let failure: unknown;
  let failed = false;
  while (closers.length > 0) {
    const close = closers.pop()!;
    try {
      await close();
    } catch (error) {
      if (!failed) failure = error;
      failed = true;
    }
  }
  if (failed) throw failure;
}
