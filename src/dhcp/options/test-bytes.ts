/** Test helper: bytes from a readable mix of hex octets and quoted ASCII, e.g. `03 "eng" 05 "apple"`. */
export function bytes(spec: string): Uint8Array {
  const out: number[] = [];
  const re = /"([^"]*)"|([0-9a-fA-F]{2})|(\S+)/g;
  for (let m = re.exec(spec); m !== null; m = re.exec(spec)) {
    if (m[1] !== undefined) for (const ch of m[1]) out.push(ch.charCodeAt(0));
    else if (m[2] !== undefined) out.push(Number.parseInt(m[2], 16));
    else throw new Error(`bad byte spec token ${m[3]}`);
  }
  return Uint8Array.from(out);
}
