import type { LeaseIndex } from "./lease-index.js";
import { decodeLine, JOURNAL_FORMAT_VERSION } from "./lease-record.js";
import { LeaseStoreError } from "./lease-store-error.js";

export interface ReplayResult {
  /** One message per skipped line, naming the file and the line number. */
  readonly warnings: readonly string[];
  /** Valid records applied. */
  readonly records: number;
  /** Lines skipped as corrupt (including an unterminated damaged last line). */
  readonly corruptLines: number;
  /** The file does not end with a newline: the next append must not glue onto its last line. */
  readonly unterminated: boolean;
}

const NEWLINE = 0x0a;

function preview(line: string): string {
  const shown = line.length > 60 ? `${line.slice(0, 60)}…` : line;
  return JSON.stringify(shown);
}

/**
 * Replays journal bytes into `index`: later lines win, deletes remove. A corrupt line is skipped
 * with a warning and every valid line before and after it is kept. A line from a newer format
 * throws, so the caller never rewrites a file it does not understand.
 */
export function replayJournal(data: Buffer, file: string, index: LeaseIndex): ReplayResult {
  const warnings: string[] = [];
  let records = 0;
  let corruptLines = 0;
  let lineNumber = 0;
  const unterminated = data.length > 0 && data[data.length - 1] !== NEWLINE;
  for (let segmentStart = 0; segmentStart < data.length; ) {
    const segmentEnd = segmentEndAfter(data, segmentStart);
    // UTF-8 never encodes a newline inside a multi-byte character, so decoding whole lines at once
    // reads every line exactly as decoding it alone would.
    const text = data.toString("utf8", segmentStart, segmentEnd);
    segmentStart = segmentEnd;
    for (let start = 0; start < text.length; ) {
      let end = text.indexOf("\n", start);
      const last = end === -1;
      if (last) end = text.length;
      lineNumber++;
      const line = text.slice(start, end);
      start = end + 1;
      const decoded = decodeLine(line);
      if (decoded.kind === "newer-version") {
        throw new LeaseStoreError(
          "SITEBOOT_ERR_LEASES_NEWER_FORMAT",
          `lease store: ${file} line ${lineNumber} has journal format version ${decoded.version}, but this ` +
            `siteboot reads version ${JOURNAL_FORMAT_VERSION} only; the file was left untouched ` +
            "(run the newer siteboot, or move the file away to start with no leases)",
          { path: file },
        );
      }
      if (decoded.kind === "corrupt") {
        corruptLines++;
        const note = last && unterminated ? " (the last line, unterminated: an interrupted write)" : "";
        warnings.push(
          `lease store: ${file} line ${lineNumber}${note} skipped: ${decoded.reason}: ${preview(line)}`,
        );
        continue;
      }
      records++;
      const { record } = decoded;
      if (record.op === "put") index.set(record.lease);
      else index.delete(record.address);
    }
  }
  return { warnings, records, corruptLines, unterminated };
}

/**
 * Lines are decoded a segment of about SEGMENT_BYTES at a time (one string per segment, not one
 * per line), and a segment always ends after a newline or at the end of the data.
 */
const SEGMENT_BYTES = 1 << 20;

function segmentEndAfter(data: Buffer, start: number): number {
  if (data.length - start <= SEGMENT_BYTES) return data.length;
  const lastNewline = data.lastIndexOf(NEWLINE, start + SEGMENT_BYTES - 1);
  if (lastNewline >= start) return lastNewline + 1;
  // One line longer than a segment: it ends the segment by itself.
  const newline = data.indexOf(NEWLINE, start + SEGMENT_BYTES);
  return newline === -1 ? data.length : newline + 1;
}
