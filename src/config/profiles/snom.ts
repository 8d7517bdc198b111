import type { ProfileContext, ProfileOption, ProfileOutput } from "./types.js";
import { checkFileName, checkUrl } from "./values.js";
import { vendorClasses } from "./vendors.js";

/** A NUL-terminated string, as snom's own option 43 example writes the tunnelled values. */
const cString = (text: string) => `${text}\0`;

/**
 * snom: the setting server URL in option 66 (and the file in 67), and the same tunnelled in option
 * 43 as encapsulated options 66 and 67, which take precedence on the phone (snom wiki, "Auto
 * Provisioning/DHCP/Options": `42:0c:"http://test\0":43:12:"snom/settings.php\0"`). Class "snom*"
 * (option 60 "snom320", "snomD785", …).
 */
export function expandSnom(
  ctx: ProfileContext,
  file: { provisioning: string; file?: string | undefined; vendorClass?: string | undefined },
): ProfileOutput {
  const url = [...ctx.path, "provisioning"];
  const name = [...ctx.path, "file"];
  const provisioning = checkUrl(ctx, file.provisioning, url);
  if (file.file !== undefined) checkFileName(ctx, file.file, name);
  const tunnelled: Record<number, string> = { 66: cString(provisioning) };
  const options: ProfileOption[] = [{ code: 66, value: provisioning, path: url }];
  if (file.file !== undefined) {
    tunnelled[67] = cString(file.file);
    options.push({ code: 67, value: file.file, path: name });
  }
  options.push({ code: 43, value: tunnelled, path: url });
  return {
    records: [],
    classes: vendorClasses(ctx, file.vendorClass, [["snom", { kind: "glob", pattern: "snom*" }]], options),
  };
}
