/** Changes waiting for the same write + fsync; every put in the batch shares one promise. */
export class CommitBatch {
  readonly lines: string[] = [];
  readonly promise: Promise<void>;
  resolve!: () => void;
  reject!: (error: unknown) => void;

  constructor() {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A batch may fail with nobody awaiting it (e.g. only a compaction covered it); callers that
    // await it still see the rejection.
    this.promise.catch(() => {});
  }
}
