import { constants, write } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** Small filesystem steps the journal needs, each one durable when asked to be. */

export const LEASE_FILE_MODE = 0o640;
export const LEASE_DIR_MODE = 0o750;

/**
 * Writes every byte of `data` at the descriptor's position (a regular-file write may still come
 * back short, e.g. at ENOSPC's edge), then calls `done`. Callbacks, not promises: the journal's
 * appends run through here.
 */
export function writeAll(fd: number, data: Buffer, done: (error: Error | null) => void): void {
  const step = (offset: number) => {
    write(fd, data, offset, data.length - offset, null, (error, bytesWritten) => {
      if (error) return done(error);
      if (bytesWritten <= 0) return done(new Error(`short write: ${offset} of ${data.length} bytes`));
      const next = offset + bytesWritten;
      if (next < data.length) step(next);
      else done(null);
    });
  };
  if (data.length === 0) done(null);
  else step(0);
}

/**
 * Creates (or truncates) `path`, writes `data` and fsyncs it before closing. With `exclusive` the
 * file must not exist yet (copies that must never overwrite anything).
 */
export async function writeFileDurably(
  path: string,
  data: Buffer,
  options: { sync: boolean; exclusive?: boolean },
): Promise<void> {
  const handle = await open(path, options.exclusive === true ? "wx" : "w", LEASE_FILE_MODE);
  try {
    await new Promise<void>((resolve, reject) =>
      writeAll(handle.fd, data, (error) => (error ? reject(error) : resolve())),
    );
    if (options.sync) await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Opens `path` for appending, creating it when missing. With `sync` it is opened O_DSYNC: each write
 * returns once its data is on disk (what write + fdatasync give), in one system call and one
 * thread-pool job per batch.
 */
export function openForAppending(path: string, options: { sync: boolean }): Promise<FileHandle> {
  const flags =
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | (options.sync ? constants.O_DSYNC : 0);
  return open(path, flags, LEASE_FILE_MODE);
}

/** Makes a rename or a file creation in `dir` durable (POSIX needs the directory itself fsync'd). */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** fsyncs an existing file (a copy made with copyFile). */
export async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
