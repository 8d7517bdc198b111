/**
 * Child process for the crash tests: `node --import tsx crash-child.ts <dir> <mode> <base> [concurrency]`.
 * Puts leases in a loop and prints "ack <address> <start>" only after each put resolved (durable),
 * so the parent can kill -9 it at any moment and check that every acknowledged lease survived.
 * Mode "compact" also compacts continuously and prints "compact-start" / "compact-done".
 * Mode "fill" puts until a put fails, then prints the error and what a reopen finds (errno tests).
 */
import { FileLeaseStore } from "../../src/dhcp/leases/lease-store.js";

const [dir, mode = "puts", baseText = "0", concurrencyText = "1"] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: crash-child.ts <dir> <mode> <base> [concurrency]");
const base = Number(baseText);
const concurrency = Number(concurrencyText);
const out = (line: string) => process.stdout.write(`${line}\n`);

function lease(seq: number) {
  return {
    address: base + (seq % 60_000),
    clientKey: `id:${seq.toString(16)}`,
    mac: "00:04:f2:00:00:01",
    hostname: `phone-${seq}`,
    subnet: "10.0.0.0/8",
    state: "active" as const,
    start: seq,
    expiresAt: seq + 3_600_000,
  };
}

if (mode === "fill") {
  const store = new FileLeaseStore({ dir });
  await store.open();
  const acked: number[] = [];
  let error: unknown;
  for (let seq = 0; seq < 200_000 && error === undefined; seq++) {
    await store.put(lease(seq)).then(
      () => acked.push(seq),
      (e: unknown) => {
        error = e;
      },
    );
  }
  const later = await store.put(lease(999_999)).then(
    () => undefined,
    (e: unknown) => e,
  );
  await store.close();
  const again = new FileLeaseStore({ dir });
  const reopened = await again.open().then(
    (r) => ({
      warnings: r.warnings,
      missing: acked.filter((s) => again.byAddress(base + s)?.start !== s).length,
    }),
    (e: unknown) => ({ error: String(e) }),
  );
  await again.close();
  const describe = (e: unknown) =>
    e === undefined ? undefined : { ...(e as object), message: (e as Error).message, cause: undefined };
  out(JSON.stringify({ acked: acked.length, error: describe(error), later: describe(later), reopened }));
} else if (mode === "open") {
  const store = new FileLeaseStore({ dir });
  const result = await store.open().then(
    async () => {
      const put = await store.put(lease(1)).then(
        () => "ok",
        (e: unknown) => e,
      );
      return {
        opened: true,
        put: put === "ok" ? "ok" : { ...(put as object), message: (put as Error).message },
      };
    },
    (e: unknown) => ({
      opened: false,
      error: { ...(e as object), message: (e as Error).message, cause: undefined },
    }),
  );
  await store.close();
  out(JSON.stringify(result));
} else {
  const store = new FileLeaseStore({ dir, compactEvery: mode === "compact" ? 500 : 10_000 });
  await store.open();
  let seq = 0;
  const worker = async () => {
    for (;;) {
      const n = seq++;
      const l = lease(n);
      await store.put(l);
      out(`ack ${l.address} ${l.start}`);
    }
  };
  const compactor = async () => {
    for (;;) {
      out("compact-start");
      await store.compact();
      out("compact-done");
      await new Promise((r) => setTimeout(r, 1));
    }
  };
  out("ready");
  const workers = Array.from({ length: concurrency }, worker);
  if (mode === "compact") workers.push(compactor());
  await Promise.all(workers);
}
