import type { ProfileContext, ProfileOption, ProfileOutput } from "./types.js";
import { checkUrl } from "./values.js";
import { vendorClasses } from "./vendors.js";

/**
 * Yealink: the phone looks for its provisioning server in the custom option (when one is set on the
 * phone), then option 66, then option 43 (TR-069 ACS URL, sub-option 1). Class "yealink*" (the phones
 * send "yealink" or "Yealink SIP-T46U"; matching ignores case).
 */
export function expandYealink(
  ctx: ProfileContext,
  file: {
    provisioning: string;
    acs?: string | undefined;
    customOption?: number | undefined;
    vendorClass?: string | undefined;
  },
): ProfileOutput {
  const url = [...ctx.path, "provisioning"];
  const provisioning = checkUrl(ctx, file.provisioning, url);
  const options: ProfileOption[] = [{ code: 66, value: provisioning, path: url }];
  if (file.acs !== undefined) {
    const acs = [...ctx.path, "acs"];
    options.push({ code: 43, value: { 1: checkUrl(ctx, file.acs, acs) }, path: acs });
  }
  if (file.customOption !== undefined)
    options.push({
      code: file.customOption,
      value: provisioning,
      type: "string",
      path: [...ctx.path, "customOption"],
    });
  return {
    records: [],
    classes: vendorClasses(
      ctx,
      file.vendorClass,
      [["yealink", { kind: "glob", pattern: "yealink*" }]],
      options,
    ),
  };
}
