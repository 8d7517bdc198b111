import type { UrlProfile } from "./vendors.js";

/**
 * AudioCodes 400HD and Panasonic KX-UT/TGP/HDV: the phones read the configuration URL from option
 * 160, then 159, then 66; all three carry it. Classes "AUDC*" and "Panasonic*".
 */
export const AUDIOCODES: UrlProfile = {
  codes: [{ code: 160 }, { code: 159, type: "string" }, { code: 66 }],
  classes: [
    ["audiocodes", { kind: "glob", pattern: "AUDC*" }],
    ["panasonic", { kind: "glob", pattern: "Panasonic*" }],
  ],
};
