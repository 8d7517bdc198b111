/** What every benchmark needs around the processes it measures. */
import type { ChildProcess } from "node:child_process";

/** The middle value (the mean of the two middle ones for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * Resolves once `child` has written `marker` (standard output or error), which is how a server
 * says it is ready; rejects with its last output if it exits first or stays silent for 20 s.
 */
export function waitForOutput(child: ChildProcess, marker: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = "";
    const done = () => {
      clearTimeout(timer);
      child.stdout?.off("data", onData);
      child.stderr?.off("data", onData);
      child.off("exit", onExit);
      // Keep draining: a child blocked on a full pipe would stall the measurement.
      child.stdout?.resume();
      child.stderr?.resume();
    };
    const onData = (chunk: Buffer | string) => {
      output += String(chunk);
      if (output.includes(marker)) {
        done();
        resolve();
      }
    };
    const onExit = (code: number | null) => {
      done();
      reject(new Error(`${what} exited with ${code}: ${output.slice(-1500)}`));
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${what} did not start: ${output.slice(-1500)}`));
    }, 20_000);
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", onExit);
  });
}

/** SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}
