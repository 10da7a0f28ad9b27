/*
 * Validates xAPI statements with Learning Locker's validator (npm
 * @learninglocker/xapi-validation, installed in tests/js). Usage:
 *
 *   node xapi_validate.js <node_modules folder> < statements.json
 *
 * stdin: a JSON array of statements; stdout: a JSON array with, per statement, the list
 * of the validator's error messages ([] when it is valid).
 */
"use strict";

const path = require("path");
const validate = require(path.resolve(process.argv[2], "@learninglocker", "xapi-validation"))
  .default;

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const statements = JSON.parse(input);
  const report = statements.map((statement) => validate(statement).map((error) =>
    (error.path ? error.path.join(".") + ": " : "") + (error.message || JSON.stringify(error))));
  process.stdout.write(JSON.stringify(report));
});
