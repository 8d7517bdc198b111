import type { UrlProfile } from "./vendors.js";

/** Polycom's IANA enterprise number, sent in its RFC 3925 binary option 60. */
export const POLYCOM_ENTERPRISE = 13885;

/**
 * Polycom UC Software (VVX, SoundPoint IP, SoundStation IP): the phone takes the provisioning server
 * from option 160 first and falls back to 66, so both carry the URL. Two classes: the binary RFC 3925
 * vendor class (enterprise 13885) that current firmware sends, and "Polycom*" for the text form.
 */
export const POLYCOM: UrlProfile = {
  codes: [{ code: 160 }, { code: 66 }],
  classes: [
    ["polycom", { kind: "enterprise", enterprise: POLYCOM_ENTERPRISE }],
    ["polycom-text", { kind: "glob", pattern: "Polycom*" }],
  ],
};
