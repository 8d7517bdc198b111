/** Result shapes shared by every option codec. */

export interface EncodeContext {
  /** The IPv4 address (unsigned 32-bit) that the word "self" means: this box on the phone LAN. */
  readonly self?: number;
}

export type Encoded =
  | { readonly ok: true; readonly data: Uint8Array; readonly display: string }
  | { readonly ok: false; readonly error: string };

export type Decoded =
  | { readonly ok: true; readonly value: unknown; readonly display: string }
  | { readonly ok: false; readonly error: string };

/** An error, or a value; used inside the codecs before results are assembled. */
export type Checked<T> = T | { readonly error: string };
