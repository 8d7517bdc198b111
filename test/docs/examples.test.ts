import { readdirSync, readFileSync } from "node:fs";
import { dump, load } from "js-yaml";
import { describe, expect, it } from "vitest";
import { formatDiagnostic } from "../../src/config/diagnostics.js";
import { parseSite } from "../../src/config/load.js";

/**
 * Every YAML example in the README and docs/ must load: a full site file as it stands, a fragment
 * (a `dhcp:` or `dns:` section) merged into a minimal site. Documentation cannot rot silently.
 */
const BASE = {
  site: { name: "docs", sipDomain: "fabrikam.com", dhcpDomain: "contoso.com" },
  listen: { address: "198.51.100.2" },
};

function yamlBlocks(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1] ?? "");
}

const files = [
  "README.md",
  ...readdirSync("docs")
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];
const examples = files.flatMap((file) =>
  yamlBlocks(file).map((block, i) => ({ name: `${file} example ${i + 1}`, block })),
);

describe("documentation examples", () => {
  it("there are examples to check", () => {
    expect(examples.length).toBeGreaterThanOrEqual(2);
  });

  it.each(examples)("$name loads without errors", ({ block }) => {
    const fragment = load(block) as Record<string, unknown>;
    const full = "site" in fragment ? fragment : { ...BASE, ...fragment };
    if (!("site" in fragment) && "dhcp" in fragment) {
      // A DHCP fragment serves the interfaces its subnets name.
      const subnets = ((fragment.dhcp as { subnets?: { interface?: string }[] }).subnets ?? []).flatMap(
        (s) => (s.interface ? [s.interface] : []),
      );
      full.listen = { ...BASE.listen, interfaces: subnets };
    }
    // Read as if it sat beside the shipped example: relative paths (provisioning.root) start in config/.
    const result = parseSite(dump(full), "config/example.yaml");
    expect(result.ok ? [] : result.errors.map(formatDiagnostic)).toEqual([]);
  });
});
