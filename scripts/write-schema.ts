/** Writes config/site.schema.json from the validator (`npm run schema`); a test fails when it is stale. */
import { writeFileSync } from "node:fs";
import { siteJsonSchema } from "../src/config/schema.js";

const target = new URL("../config/site.schema.json", import.meta.url);
writeFileSync(target, `${JSON.stringify(siteJsonSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
