/**
 * The DHCP options area: pad (0) and end (255), option overload (52) into the `file` and `sname`
 * fields (RFC 2131 §4.1, RFC 2132 §9.3), and long options split into several instances and
 * concatenated again (RFC 3396). Decoding is bounds-checked and never throws.
 */

export const PAD = 0;
export const END = 255;
export const OVERLOAD = 52;
const OVERLOAD_FILE = 1;
const OVERLOAD_SNAME = 2;
/** Sizes of the BOOTP `file` and `sname` fields. */
const FILE_CAPACITY = 128;
const SNAME_CAPACITY = 64;

export type OptionsArea =
  | { readonly ok: true; readonly options: ReadonlyMap<number, Uint8Array>; readonly overload: number }
  | { readonly ok: false; readonly error: string };

/** One field's options, in wire order; instances of one code are kept apart here. */
function scanField(
  field: Uint8Array,
  where: string,
  out: Map<number, Uint8Array>,
): { ok: true } | { ok: false; error: string } {
  let i = 0;
  while (i < field.length) {
    const code = field[i]!;
    if (code === END) return { ok: true };
    if (code === PAD) {
      i++;
      continue;
    }
    if (i + 1 >= field.length) return { ok: false, error: `option ${code} in ${where} has no length byte` };
    const length = field[i + 1]!;
    const start = i + 2;
    if (start + length > field.length) {
      return { ok: false, error: `option ${code} in ${where} runs past the end (length ${length})` };
    }
    const data = field.subarray(start, start + length);
    const earlier = out.get(code);
    // A split option (RFC 3396) is joined in the order its pieces appear; almost every option
    // comes in one piece and stays a view of the message.
    out.set(code, earlier ? concat([earlier, data]) : data);
    i = start + length;
  }
  // A missing END is tolerated: several embedded clients stop at the last option.
  return { ok: true };
}

/**
 * Decodes the options of a message: the options field (from `optionsAt` to the end of `message`)
 * first, then the `file` and `sname` fields (at `fileAt`, `snameAt`) when option 52 says they carry
 * options. Instances of one code are concatenated in that order (RFC 3396 §5). Values are views
 * of `message` (copies only where pieces were joined): the caller must not change those bytes
 * while it uses the result.
 */
export function decodeOptionsArea(
  message: Uint8Array,
  optionsAt: number,
  fileAt: number,
  snameAt: number,
): OptionsArea {
  const merged = new Map<number, Uint8Array>();
  const main = scanField(message.subarray(optionsAt), "the options field", merged);
  if (!main.ok) return main;
  let overload = 0;
  const overloadValue = merged.get(OVERLOAD);
  if (overloadValue) {
    if (overloadValue.length !== 1 || overloadValue[0]! < 1 || overloadValue[0]! > 3) {
      return { ok: false, error: "option 52 (overload) must be one byte of value 1, 2 or 3" };
    }
    overload = overloadValue[0]!;
    if (overload & OVERLOAD_FILE) {
      const r = scanField(message.subarray(fileAt, fileAt + FILE_CAPACITY), "the file field", merged);
      if (!r.ok) return r;
    }
    if (overload & OVERLOAD_SNAME) {
      const r = scanField(message.subarray(snameAt, snameAt + SNAME_CAPACITY), "the sname field", merged);
      if (!r.ok) return r;
    }
    // Option 52 inside file/sname is meaningless; only the one in the options field counts.
    merged.set(OVERLOAD, overloadValue);
  }
  return { ok: true, options: merged, overload };
}

function concat(list: readonly Uint8Array[]): Uint8Array {
  if (list.length === 1) return list[0]!.slice();
  let total = 0;
  for (const part of list) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of list) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** An option's data as TLV instances of at most 255 data bytes each (RFC 3396 §7). */
export function toInstances(code: number, data: Uint8Array): Uint8Array[] {
  if (data.length === 0) return [Uint8Array.of(code, 0)];
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < data.length; offset += 255) {
    const piece = data.subarray(offset, Math.min(offset + 255, data.length));
    const tlv = new Uint8Array(piece.length + 2);
    tlv[0] = code;
    tlv[1] = piece.length;
    tlv.set(piece, 2);
    out.push(tlv);
  }
  return out;
}

export interface ReplyOption {
  readonly code: number;
  readonly data: Uint8Array;
}

export interface AssembledOptions {
  /**
   * Bytes for the options field (after the cookie), ending with END. Valid until the next
   * assembleOptions call, which may reuse the memory: copy it into the message first.
   */
  readonly main: Uint8Array;
  /** Contents for the file / sname fields when overloaded (END-terminated, zero-padded by the caller). */
  readonly file?: Uint8Array;
  readonly sname?: Uint8Array;
  /** Codes that made it into the message, in priority order. */
  readonly included: readonly number[];
  /** Codes left out for lack of room. */
  readonly dropped: readonly number[];
}

/** Kept in the options field proper: clients look for these there first. */
const MAIN_ONLY = new Set([53, 54, 51, 58, 59, 1, 3]);

interface Unit {
  readonly code: number;
  readonly bytes: Uint8Array;
}

/**
 * Packs whole options (all instances of one option stay together, so RFC 3396 order is kept)
 * into the areas: pinned ones in the options field, then the rest largest first (first fit
 * decreasing). Returns the area of each unit, or undefined when they do not all fit.
 */
function pack(units: readonly Unit[], capacities: readonly number[]): number[] | undefined {
  const used = capacities.map(() => 0);
  const placement = new Array<number>(units.length);
  const order = units
    .map((_unit, i) => i)
    .sort((a, b) => {
      const pa = MAIN_ONLY.has(units[a]!.code) ? 0 : 1;
      const pb = MAIN_ONLY.has(units[b]!.code) ? 0 : 1;
      return pa - pb || units[b]!.bytes.length - units[a]!.bytes.length || a - b;
    });
  for (const i of order) {
    const unit = units[i]!;
    const areas = MAIN_ONLY.has(unit.code) ? 1 : capacities.length;
    let area = 0;
    while (area < areas && used[area]! + unit.bytes.length > capacities[area]!) area++;
    if (area === areas) return undefined;
    used[area]! += unit.bytes.length;
    placement[i] = area;
  }
  return placement;
}

/** Bytes an option takes on the wire once split into instances of at most 255 bytes. */
function wireLength(data: Uint8Array): number {
  return data.length === 0 ? 2 : data.length + 2 * Math.ceil(data.length / 255);
}

/** Writes an option's instances at `offset`; returns the offset after them. */
function writeInstances(out: Uint8Array, offset: number, code: number, data: Uint8Array): number {
  if (data.length <= 255) {
    // One instance; a plain loop beats subarray + set for the short options replies carry.
    out[offset] = code;
    out[offset + 1] = data.length;
    for (let i = 0; i < data.length; i++) out[offset + 2 + i] = data[i]!;
    return offset + 2 + data.length;
  }
  let at = offset;
  for (let i = 0; i < data.length; i += 255) {
    const n = Math.min(255, data.length - i);
    out[at] = code;
    out[at + 1] = n;
    out.set(data.subarray(i, i + n), at + 2);
    at += n + 2;
  }
  return at;
}

/**
 * The options field of the reply being assembled, in the common case where everything fits:
 * replies are assembled one at a time and copied into their message at once.
 */
const scratch = new Uint8Array(2048);

function writeArea(options: readonly ReplyOption[], tail: readonly Uint8Array[], reuse = false): Uint8Array {
  let length = 1;
  for (const o of options) length += wireLength(o.data);
  for (const t of tail) length += t.length;
  const out = reuse && length <= scratch.length ? scratch.subarray(0, length) : new Uint8Array(length);
  let at = 0;
  for (const o of options) at = writeInstances(out, at, o.code, o.data);
  for (const t of tail) {
    out.set(t, at);
    at += t.length;
  }
  out[at] = END;
  return out;
}

/**
 * Lays out reply options in priority order within `mainCapacity` bytes of options field (END
 * included). When they do not fit, option 52 moves some into `file` and then `sname`; options
 * that still do not fit are dropped whole, lowest priority first. `trailer` (the echoed relay
 * agent option 82) is always kept and always written last in the options field (RFC 3046 §2.1).
 */
export function assembleOptions(
  options: readonly ReplyOption[],
  mainCapacity: number,
  trailer?: ReplyOption,
): AssembledOptions {
  const trailerBytes = trailer
    ? writeArea([trailer], []).subarray(0, wireLength(trailer.data))
    : new Uint8Array(0);
  let total = 0;
  for (const o of options) total += wireLength(o.data);
  const mainRoom = mainCapacity - 1 - trailerBytes.length;
  if (total <= mainRoom) {
    // The common case: everything fits in the options field.
    const included = options.map((o) => o.code);
    return {
      main: writeArea(options, [trailerBytes], true),
      included: trailer ? [...included, trailer.code] : included,
      dropped: [],
    };
  }
  const units: Unit[] = options.map((o) => ({
    code: o.code,
    bytes: concat(toInstances(o.code, o.data)),
  }));
  let kept: Unit[] = [];
  let placement: number[] = [];
  const dropped: number[] = [];
  // Option 52 itself takes three bytes; file and sname each keep one byte for END.
  const capacities = [mainRoom - 3, FILE_CAPACITY - 1, SNAME_CAPACITY - 1];
  for (const unit of units) {
    const trial = [...kept, unit];
    const fits = pack(trial, capacities);
    if (fits) {
      kept = trial;
      placement = fits;
    } else {
      dropped.push(unit.code);
    }
  }
  const areas: Uint8Array[][] = [[], [], []];
  kept.forEach((unit, i) => {
    areas[placement[i]!]!.push(unit.bytes);
  });
  const overload = (areas[1]!.length > 0 ? 1 : 0) | (areas[2]!.length > 0 ? 2 : 0);
  const mainParts = [...areas[0]!];
  if (overload) mainParts.push(Uint8Array.of(OVERLOAD, 1, overload));
  mainParts.push(trailerBytes, Uint8Array.of(END));
  const included = kept.map((u) => u.code);
  return {
    main: concat(mainParts),
    ...(overload & 1 ? { file: concat([...areas[1]!, Uint8Array.of(END)]) } : {}),
    ...(overload & 2 ? { sname: concat([...areas[2]!, Uint8Array.of(END)]) } : {}),
    included: trailer ? [...included, trailer.code] : included,
    dropped,
  };
}
