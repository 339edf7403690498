/** A command line the command cannot act on (unknown stack, wave out of range, clashing flags): exit 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
