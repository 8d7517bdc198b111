/**
 * RFC 3396: option data longer than 255 octets goes out as several instances of the same code,
 * which the receiver concatenates in order. Empty data is one zero-length instance.
 */
export const MAX_INSTANCE_DATA = 255;

export function splitOption(code: number, data: Uint8Array): Uint8Array {
  const count = Math.max(1, Math.ceil(data.length / MAX_INSTANCE_DATA));
  const out = new Uint8Array(data.length + 2 * count);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const chunk = data.subarray(i * MAX_INSTANCE_DATA, (i + 1) * MAX_INSTANCE_DATA);
    out[at] = code;
    out[at + 1] = chunk.length;
    out.set(chunk, at + 2);
    at += 2 + chunk.length;
  }
  return out;
}
