#!/usr/bin/env node
// Validates an AsyncAPI document with @asyncapi/parser (v3) - the check the gateway's tests run.
//
// Usage: node validate.mjs [document.json]   (no file, or "-": the document is read from stdin)
// Prints every diagnostic (severity, code, path, message) and exits 1 when any is an error,
// 2 when the document cannot be read. @asyncapi/parser is looked up next to this script, or in
// $ASYNCAPI_PARSER_HOME (a directory where `npm ci` installed this package.json).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SEVERITY = ["error", "warning", "info", "hint"];

const home = process.env.ASYNCAPI_PARSER_HOME || dirname(fileURLToPath(import.meta.url));
const require = createRequire(join(home, "package.json"));
const { Parser } = require("@asyncapi/parser");

function readDocument(path) {
  try {
    return readFileSync(path && path !== "-" ? path : 0, "utf8");
  } catch (err) {
    console.error(`cannot read ${path || "stdin"}: ${err.message}`);
    process.exit(2);
  }
}

const source = readDocument(process.argv[2]);
const diagnostics = await new Parser().validate(source);
let errors = 0;
for (const d of diagnostics) {
  const severity = SEVERITY[d.severity] ?? String(d.severity);
  if (d.severity === 0) errors += 1;
  console.log(`${severity}\t${d.code}\t${(d.path ?? []).join(".") || "/"}\t${d.message}`);
}
console.log(`${errors} error(s), ${diagnostics.length - errors} other diagnostic(s)`);
process.exit(errors ? 1 : 0);
