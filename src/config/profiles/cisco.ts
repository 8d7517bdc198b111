import type { ProfileContext, ProfileOption, ProfileOutput } from "./types.js";
import { checkServerText } from "./values.js";
import { addressList, vendorClasses } from "./vendors.js";

/**
 * Cisco IP phones: the TFTP servers by address in option 150 (which the phones prefer), and option
 * 66 as text for those that read only 66. Class "Cisco*": the phones send
 * "Cisco Systems, Inc. IP Phone CP-…".
 */
export function expandCisco(
  ctx: ProfileContext,
  file: { tftp: string | string[]; server?: string | undefined; vendorClass?: string | undefined },
): ProfileOutput {
  const tftpPath = [...ctx.path, "tftp"];
  const tftp = addressList(ctx, file.tftp, tftpPath);
  const options: ProfileOption[] = [];
  if (tftp.length > 0) options.push({ code: 150, value: tftp, path: tftpPath });
  const server =
    file.server === undefined ? tftp[0] : checkServerText(ctx, file.server, [...ctx.path, "server"]);
  if (server !== undefined)
    options.push({
      code: 66,
      value: server,
      path: file.server === undefined ? tftpPath : [...ctx.path, "server"],
    });
  return {
    records: [],
    classes: vendorClasses(ctx, file.vendorClass, [["cisco", { kind: "glob", pattern: "Cisco*" }]], options),
  };
}
