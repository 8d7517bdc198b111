/** The typed DHCPv4 option table and its codecs: the public surface of src/dhcp/options. */

export { decodeOptionValue, encodeOptionValue, MAX_OPTION_DATA } from "./codec.js";
export { formatDuration, parseDuration } from "./duration.js";
export { globToRegExp } from "./glob.js";
export { parseHexBytes, toColonHex, toHex } from "./hex.js";
export type { Decoded, EncodeContext, Encoded } from "./results.js";
export { MAX_INSTANCE_DATA, splitOption } from "./split.js";
export {
  OPTION_TABLE,
  type OptionDef,
  type OptionTypeName,
  optionByCode,
  optionByName,
  optionNames,
  SERVER_MANAGED_CODES,
} from "./table.js";
export { formatTypeSpec, parseTypeSpec } from "./type-spec.js";
export {
  matchVendorClass,
  parseVendorClass,
  type VendorClassBlock,
  type VendorClassInfo,
} from "./vendor-class.js";
