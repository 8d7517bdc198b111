import {
  encodeOptionValue,
  type OptionDef,
  optionByCode,
  optionByName,
  optionNames,
  parseTypeSpec,
} from "../../dhcp/options/index.js";
import { expandSelf } from "../../provision/self-url.js";
import type { PathSegment } from "../diagnostics.js";
import type { ConfiguredOption, OptionLayer } from "../site.js";
import { didYouMean } from "../suggest.js";
import type { DeriveContext } from "./context.js";

/**
 * Codes the server itself owns: they are derived from the lease, the subnet or the request, so
 * setting them in site.yaml would only conflict.
 */
const MANAGED: ReadonlyMap<number, string> = new Map([
  [0, "pad"],
  [255, "end"],
  [50, "the requested address comes from the client"],
  [51, "set leaseTime instead"],
  [52, "option overload is decided per reply"],
  [53, "the message type is decided per reply"],
  [54, "the server identifier is this box's address (set listen.address or the subnet's server)"],
  [55, "the parameter request list comes from the client"],
  [57, "the maximum message size comes from the client"],
  [58, "set renewTime instead"],
  [59, "set rebindTime instead"],
  [61, "the client identifier comes from the client"],
  [82, "relay agent information comes from the relay and is echoed"],
]);

/** Options given by name or code; each value validated and encoded by its type from the option table. */
export function deriveOptions(
  ctx: DeriveContext,
  options: Readonly<Record<string, unknown>>,
  path: PathSegment[],
  layer: OptionLayer,
): Array<[number, ConfiguredOption]> {
  const out: Array<[number, ConfiguredOption]> = [];
  const codes = new Map<number, string>();
  for (const [key, raw] of Object.entries(options)) {
    const here = [...path, key];
    const error = (message: string, onKey = false) =>
      ctx.diagnostics.push(ctx.source.diagnostic("error", here, message, { key: onKey }));
    let def: Pick<OptionDef, "type" | "array"> | undefined;
    let code: number;
    let name: string;
    let value: unknown = raw;
    if (/^\d+$/.test(key)) {
      code = Number(key);
      if (code < 1 || code > 254) {
        error(`option code ${key} is out of range; codes are 1 to 254`, true);
        continue;
      }
      const known = optionByCode(code);
      name = known?.name ?? `option-${code}`;
      const explicit = typed(raw);
      if (explicit) {
        const spec = parseTypeSpec(explicit.type);
        if ("error" in spec) {
          ctx.diagnostics.push(ctx.source.diagnostic("error", [...here, "type"], spec.error));
          continue;
        }
        def = spec;
        value = explicit.value;
      } else if (known) {
        def = known;
      } else {
        error(
          `option ${code} is not in the option table: give its type, e.g. { type: string, value: "..." }`,
        );
        continue;
      }
    } else {
      const known = optionByName(key);
      if (!known) {
        error(
          `unknown option "${key}"${didYouMean(key, optionNames())}; use a well-known name or a code`,
          true,
        );
        continue;
      }
      code = known.code;
      name = known.name;
      def = known;
    }
    const managed = MANAGED.get(code);
    if (managed !== undefined) {
      error(`option ${code} (${name}) is managed by the server: ${managed}`, true);
      continue;
    }
    if (codes.has(code)) {
      error(`option ${code} is set twice here (also as "${codes.get(code)}")`, true);
      continue;
    }
    codes.set(code, key);
    if (!def) continue;
    const encoded = encodeOptionValue(def, expandSelf(code, value, ctx.self, ctx.ports), { self: ctx.self });
    if (!encoded.ok) {
      const at = badItem(def, value, encoded.error, value === raw ? here : [...here, "value"]);
      ctx.diagnostics.push(ctx.source.diagnostic("error", at, `option ${code} (${name}): ${encoded.error}`));
      continue;
    }
    out.push([code, configured(ctx, code, name, def, encoded, layer, here)]);
  }
  return out;
}

/** The list item an option's error is about ("item N: …", or the one item of a list), else the value. */
function badItem(
  def: Pick<OptionDef, "array">,
  value: unknown,
  error: string,
  path: PathSegment[],
): PathSegment[] {
  if (!Array.isArray(value)) return path;
  const item = /^item (\d+): /.exec(error);
  if (item) return [...path, Number(item[1]) - 1];
  return def.array && value.length === 1 ? [...path, 0] : path;
}

function typed(raw: unknown): { type: string; value: unknown } | undefined {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const keys = Object.keys(raw);
  if (keys.length === 2 && keys.includes("type") && keys.includes("value")) {
    const { type, value } = raw as { type: unknown; value: unknown };
    if (typeof type === "string") return { type, value };
  }
  return undefined;
}

/** An option siteboot derives from another setting (subnet mask, router, domain, host name). */
export function addDerived(
  ctx: DeriveContext,
  set: Map<number, ConfiguredOption>,
  code: number,
  value: unknown,
  path: PathSegment[],
  layer: OptionLayer,
) {
  const def = optionByCode(code);
  if (!def) return;
  const encoded = encodeOptionValue(def, value, { self: ctx.self });
  if (!encoded.ok) {
    ctx.diagnostics.push(
      ctx.source.diagnostic("error", path, `as option ${code} (${def.name}): ${encoded.error}`),
    );
    return;
  }
  set.set(code, configured(ctx, code, def.name, def, encoded, layer, path));
}

/** One encoded option as the DHCP server keeps it, with the layer and place it was set. */
function configured(
  ctx: DeriveContext,
  code: number,
  name: string,
  def: Pick<OptionDef, "type" | "array">,
  encoded: Pick<ConfiguredOption, "data" | "display">,
  layer: OptionLayer,
  path: PathSegment[],
): ConfiguredOption {
  return Object.freeze({
    code,
    name,
    type: def.array ? `${def.type}[]` : def.type,
    data: encoded.data,
    display: encoded.display,
    layer,
    source: ctx.source.at(path),
  });
}
