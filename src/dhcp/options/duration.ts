/**
 * Durations as written in site.yaml: `45s`, `30m`, `8h`, `2d`, or a combination in descending unit
 * order such as `1h30m`. A bare number of seconds is accepted too.
 */
const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;
const UNITS: readonly [string, number][] = [
  ["d", 86_400],
  ["h", 3_600],
  ["m", 60],
  ["s", 1],
];

/** Seconds, or undefined when the text is not a duration. Never exceeds Number.MAX_SAFE_INTEGER. */
export function parseDuration(text: string): number | undefined {
  if (/^\d+$/.test(text)) return safe(Number(text));
  if (text === "") return undefined;
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  let total = 0;
  for (let i = 0; i < UNITS.length; i++) {
    const part = match[i + 1];
    if (part !== undefined) total += Number(part) * UNITS[i]![1];
  }
  return safe(total);
}

function safe(n: number): number | undefined {
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Compact form of a whole number of seconds (`28800` → `8h`, `5400` → `1h30m`, `0` → `0s`). */
export function formatDuration(seconds: number): string {
  const sign = seconds < 0 ? "-" : "";
  let rest = Math.abs(seconds);
  if (rest === 0) return "0s";
  let out = "";
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) {
      out += `${n}${unit}`;
      rest -= n * size;
    }
  }
  return sign + out;
}
