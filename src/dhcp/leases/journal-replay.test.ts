import { describe, expect, it } from "vitest";
import { replayJournal } from "./journal-replay.js";
import type { Lease } from "./lease.js";
import { LeaseIndex } from "./lease-index.js";
import { decodeLine, encodeDelete, encodePut } from "./lease-record.js";
import { LeaseStoreError } from "./lease-store-error.js";

function lease(address: number, state: Lease["state"] = "active"): Lease {
  return {
    address,
    clientKey: `hw:1:${address.toString(16)}`,
    mac: "",
    subnet: "10.0.0.0/24",
    state,
    start: address,
    expiresAt: address + 1,
  };
}

function lines(...rows: string[]): Buffer {
  return Buffer.from(rows.map((r) => `${r}\n`).join(""));
}

describe("replayJournal", () => {
  it("applies lines in order: later wins, delete removes", () => {
    const index = new LeaseIndex();
    const result = replayJournal(
      lines(encodePut(lease(1)), encodePut(lease(2)), encodePut(lease(1, "released")), encodeDelete(2)),
      "j",
      index,
    );
    expect(result).toEqual({ warnings: [], records: 4, corruptLines: 0, unterminated: false });
    expect([...index.values()]).toEqual([lease(1, "released")]);
  });

  it("skips garbage in the middle with the file and line named, keeping lines before and after", () => {
    const index = new LeaseIndex();
    const result = replayJournal(
      lines(encodePut(lease(1)), "#$%garbage", encodePut(lease(3))),
      "/var/lib/x.jsonl",
      index,
    );
    expect(result.corruptLines).toBe(1);
    expect(result.warnings).toHaveLength(1);
    expect(result.warnings[0]).toMatch(/\/var\/lib\/x\.jsonl line 2 skipped: not valid JSON/);
    expect([...index.values()].map((l) => l.address)).toEqual([1, 3]);
  });

  it("skips a truncated last line and says it was an interrupted write", () => {
    const index = new LeaseIndex();
    const torn = encodePut(lease(2)).slice(0, 30);
    const data = Buffer.concat([lines(encodePut(lease(1))), Buffer.from(torn)]);
    const result = replayJournal(data, "j", index);
    expect(result.unterminated).toBe(true);
    expect(result.corruptLines).toBe(1);
    expect(result.warnings[0]).toContain(
      "line 2 (the last line, unterminated: an interrupted write) skipped",
    );
    expect(index.size).toBe(1);
  });

  it("keeps a complete last line that only misses its newline", () => {
    const index = new LeaseIndex();
    const result = replayJournal(Buffer.from(encodePut(lease(7))), "j", index);
    expect(result).toMatchObject({ records: 1, corruptLines: 0, unterminated: true });
    expect(index.get(7)).toEqual(lease(7));
  });

  it("refuses a journal holding a newer format version", () => {
    const data = lines(encodePut(lease(1)), '{"v":9,"op":"put","address":"10.0.0.2"}');
    expect(() => replayJournal(data, "/d/leases4.jsonl", new LeaseIndex())).toThrow(LeaseStoreError);
    expect(() => replayJournal(data, "/d/leases4.jsonl", new LeaseIndex())).toThrow(
      /\/d\/leases4\.jsonl line 2 has journal format version 9.*left untouched/,
    );
  });

  it("treats an empty file as no leases", () => {
    expect(replayJournal(Buffer.alloc(0), "j", new LeaseIndex())).toEqual({
      warnings: [],
      records: 0,
      corruptLines: 0,
      unterminated: false,
    });
  });

  it("reads a journal of several megabytes exactly as line-by-line decoding does", () => {
    // Lines are decoded a megabyte at a time: lines straddling those cuts, multi-byte characters
    // next to them, a damaged line among them and one line longer than a whole segment must all
    // come out as if each line had been decoded alone.
    const rows: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const named = { ...lease(i + 1), hostname: `téléphone-${"é".repeat(i % 97)}-${i}` };
      rows.push(i === 4321 ? "{damaged" : encodePut(named));
      if (i === 9000) rows.push(encodePut({ ...lease(900_000), hostname: "ü".repeat(1_200_000) }));
      if (i % 10 === 9) rows.push(encodeDelete(i - 3));
    }
    const data = Buffer.concat([lines(...rows), Buffer.from(encodePut(lease(1)).slice(0, 25))]);
    expect(data.length).toBeGreaterThan(4 << 20);

    const reference = new LeaseIndex();
    let referenceCorrupt = 0;
    for (const line of data.toString("utf8").split("\n")) {
      const decoded = decodeLine(line);
      if (decoded.kind !== "record") {
        referenceCorrupt++;
        continue;
      }
      const { record } = decoded;
      if (record.op === "put") reference.set(record.lease);
      else reference.delete(record.address);
    }

    const index = new LeaseIndex();
    const result = replayJournal(data, "j", index);
    expect(referenceCorrupt).toBe(2);
    expect(result.corruptLines).toBe(2);
    expect(result.records).toBe(rows.length - 1);
    expect(result.warnings[0]).toMatch(
      new RegExp(`^lease store: j line ${rows.indexOf("{damaged") + 1} skipped: not valid JSON`),
    );
    expect(result.warnings[1]).toContain("(the last line, unterminated: an interrupted write)");
    expect([...index.values()]).toEqual([...reference.values()]);
    expect(index.get(900_000)?.hostname).toHaveLength(1_200_000);
  });
});
