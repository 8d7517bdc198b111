import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { siteJsonSchema } from "../../src/config/schema.js";

describe("config/site.schema.json", () => {
  it("is what the validator generates (run `npm run schema` after changing the schema)", () => {
    const committed = JSON.parse(readFileSync("config/site.schema.json", "utf8")) as unknown;
    expect(committed).toEqual(siteJsonSchema());
  });

  it("is named by the example so editors check site.yaml", () => {
    expect(readFileSync("config/site.yaml", "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=./site.schema.json",
    );
  });
});
