import { realpath, stat } from "node:fs/promises";
import { sep } from "node:path";

/**
 * Keeps every request inside the provisioning root. A name is first checked as text (no NUL or
 * control characters, not absolute, no `..`, no backslash, bounded length), then the file it names
 * is resolved with realpath so a symbolic link that leads out of the root is refused too.
 */

/** Longest request name accepted, in bytes (a phone's config path is far shorter). */
export const MAX_NAME_BYTES = 255;

export type NameCheck =
  | { readonly ok: true; readonly segments: readonly string[]; readonly relative: string }
  /** bad-name: malformed (HTTP 400); forbidden: reaches outside the root (HTTP 403). */
  | { readonly ok: false; readonly reason: "bad-name" | "forbidden"; readonly message: string };

export function checkName(name: string): NameCheck {
  if (Buffer.byteLength(name) > MAX_NAME_BYTES)
    return refuse("bad-name", `name longer than ${MAX_NAME_BYTES} bytes`);
  if (name.includes("\0")) return refuse("bad-name", "name contains a NUL byte");
  if (/[\x01-\x1f\x7f]/.test(name)) return refuse("bad-name", "name contains a control character");
  if (name.startsWith("/")) return refuse("forbidden", "absolute path");
  if (name.includes("\\")) return refuse("forbidden", "backslash in the name");
  const segments = name.split("/").filter((s) => s !== "" && s !== ".");
  if (segments.includes("..")) return refuse("forbidden", '".." in the name');
  if (segments.length === 0) return { ok: true, segments, relative: "" };
  return { ok: true, segments, relative: segments.join("/") };
}

export type Resolved =
  | {
      readonly ok: true;
      readonly path: string;
      readonly directory: boolean;
      readonly size: number;
      readonly mtimeMs: number;
    }
  | { readonly ok: false; readonly reason: "not-found" | "forbidden"; readonly message: string };

/**
 * The real file a checked name leads to under `realRoot` (itself already a realpath). Symbolic
 * links inside the root are followed as long as they end inside it.
 */
export async function resolveInRoot(realRoot: string, segments: readonly string[]): Promise<Resolved> {
  const joined = pathUnder(realRoot, segments);
  let real: string;
  try {
    real = await realpath(joined);
  } catch {
    return { ok: false, reason: "not-found", message: "no such file" };
  }
  if (real !== realRoot && !real.startsWith(realRoot.endsWith(sep) ? realRoot : `${realRoot}${sep}`))
    return { ok: false, reason: "forbidden", message: "leads out of the provisioning root" };
  try {
    const s = await stat(real);
    if (!s.isFile() && !s.isDirectory())
      return { ok: false, reason: "forbidden", message: "not a regular file" };
    return { ok: true, path: real, directory: s.isDirectory(), size: s.size, mtimeMs: s.mtimeMs };
  } catch {
    return { ok: false, reason: "not-found", message: "no such file" };
  }
}

/** The path of checked segments under `root`, as the file system spells it. */
export function pathUnder(root: string, segments: readonly string[]): string {
  return segments.length === 0 ? root : `${root}${sep}${segments.join(sep)}`;
}

function refuse(reason: "bad-name" | "forbidden", message: string): NameCheck {
  return { ok: false, reason, message };
}
