import type { UrlProfile } from "./vendors.js";

/**
 * snom: the provisioning URL in option 66, and in option 43 as sub-option 1 for firmware that reads
 * the vendor-encapsulated form. Class "snom*" (option 60 "snom320", "snomD785", …).
 */
export const SNOM: UrlProfile = {
  codes: [{ code: 66 }, { code: 43, wrap: (url) => ({ 1: url }) }],
  classes: [["snom", { kind: "glob", pattern: "snom*" }]],
};
