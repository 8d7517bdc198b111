import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CONFIG = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "config");

/**
 * The shipped config/site.yaml as text, with its provisioning root made absolute, so that the text
 * (edited or not) loads from any folder a test writes it to.
 */
export function exampleSiteText(): string {
  const text = readFileSync(join(CONFIG, "site.yaml"), "utf8");
  const root = /^ {2}root: provisioning\b/m;
  if (!root.test(text)) throw new Error("config/site.yaml: no `root: provisioning` line to make absolute");
  return text.replace(root, `  root: ${join(CONFIG, "provisioning")}`);
}
