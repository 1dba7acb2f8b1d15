import { writeFileSync } from "node:fs";
import { COMMANDS_DOC, renderCommandReference } from "../src/cli/command-docs.js";

// `npm run docs`: rewrites the generated reference from the command tables.
writeFileSync(COMMANDS_DOC, await renderCommandReference());
console.log(`wrote ${COMMANDS_DOC}`);
