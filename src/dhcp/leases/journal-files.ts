import { constants } from "node:fs";
import { copyFile, type FileHandle, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { openForAppending, syncDirectory, syncFile, writeFileDurably } from "./durable-fs.js";
import { leaseIoError } from "./lease-store-error.js";

/**
 * The journal's files on disk: the journal, the `.tmp` a compaction writes, the `.corrupt-*` copies
 * of a damaged journal, and the durable steps on them, each failure named as a lease store error.
 */
export class JournalFiles {
  readonly dir: string;
  readonly path: string;
  readonly tmpPath: string;
  /** Durable appends (O_DSYNC) and fsync'd files and renames. */
  readonly sync: boolean;

  constructor(dir: string, fileName: string, sync: boolean) {
    this.dir = dir;
    this.path = join(dir, fileName);
    this.tmpPath = `${this.path}.tmp`;
    this.sync = sync;
  }

  /** `operation` names the step in the error ("open the lease journal for appending"). */
  openForAppending(operation: string): Promise<FileHandle> {
    return openForAppending(this.path, { sync: this.sync }).catch((error: unknown) => {
      throw leaseIoError(operation, this.path, error);
    });
  }

  async syncDir(): Promise<void> {
    await syncDirectory(this.dir).catch((error: unknown) => {
      throw leaseIoError("fsync the lease directory", this.dir, error);
    });
  }

  /** True when a `.tmp` was there. The journal is always the authority: a rename is the commit point. */
  async removeLeftoverTmp(): Promise<boolean> {
    try {
      await unlink(this.tmpPath);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw leaseIoError("remove the leftover compaction file", this.tmpPath, error);
    }
  }

  /**
   * Copies the journal as it is now (the damaged original plus any appends since) to
   * `<file>.corrupt-<timestamp>` before a compaction drops its damaged lines. Returns the copy's path.
   */
  async keepDamagedCopy(): Promise<string> {
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.\d+Z$/, "Z");
    for (let attempt = 0; ; attempt++) {
      const copy = `${this.path}.corrupt-${stamp}${attempt === 0 ? "" : `-${attempt}`}`;
      try {
        await copyFile(this.path, copy, constants.COPYFILE_EXCL);
        if (this.sync) {
          await syncFile(copy);
          await this.syncDir();
        }
        return copy;
      } catch (error) {
        const exists = (error as NodeJS.ErrnoException).code === "EEXIST";
        if (exists && attempt < 100) continue;
        if (!exists) await unlink(copy).catch(() => {}); // a partial copy of ours, never someone else's
        throw leaseIoError("keep a copy of the damaged journal as", copy, error);
      }
    }
  }

  /**
   * Writes `data` to the `.tmp` (fsync'd when durable) and renames it over the journal. When that
   * fails the journal is untouched and still authoritative, and the `.tmp` is removed. The caller
   * fsyncs the directory to make the rename durable.
   */
  async replaceJournal(data: Buffer): Promise<void> {
    try {
      await writeFileDurably(this.tmpPath, data, { sync: this.sync }).catch((error: unknown) => {
        throw leaseIoError("write the compacted journal", this.tmpPath, error);
      });
      await rename(this.tmpPath, this.path).catch((error: unknown) => {
        throw leaseIoError(`rename ${this.tmpPath} over`, this.path, error);
      });
    } catch (error) {
      await unlink(this.tmpPath).catch(() => {});
      throw error;
    }
  }
}
