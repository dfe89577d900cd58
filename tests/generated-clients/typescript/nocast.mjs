#!/usr/bin/env node
// Fails (exit 1) if a TypeScript file escapes the type checker: an `as` cast (`as const`
// included), a `<T>x` assertion, a non-null `!`, the `any` type, or a
// @ts-ignore / @ts-expect-error / @ts-nocheck comment. Uses the compiler's own parser.
//
//   node nocast.mjs calls.ts [more.ts ...]
import { readFileSync } from "node:fs";
import ts from "typescript";

let found = 0;
for (const file of process.argv.slice(2)) {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const report = (pos, what) => {
    const { line, character } = sf.getLineAndCharacterOfPosition(pos);
    console.error(`${file}:${line + 1}:${character + 1}: ${what}`);
    found += 1;
  };
  const visit = (node) => {
    if (ts.isAsExpression(node)) report(node.getStart(sf), `cast: ${node.getText(sf)}`);
    else if (ts.isTypeAssertionExpression(node)) report(node.getStart(sf), `cast: ${node.getText(sf)}`);
    else if (ts.isNonNullExpression(node)) report(node.getStart(sf), `non-null assertion: ${node.getText(sf)}`);
    else if (node.kind === ts.SyntaxKind.AnyKeyword) report(node.getStart(sf), "the `any` type");
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const directive = /(?:\/\/|\/\*)\s*@ts-(?:ignore|expect-error|nocheck)\b/g;
  for (let m = directive.exec(text); m; m = directive.exec(text)) report(m.index, `directive ${m[0]}`);
}
if (found > 0) {
  console.error(`nocast: ${found} escape(s) from the type checker`);
  process.exit(1);
}
console.log(`nocast: no cast, any, non-null assertion or ts directive in ${process.argv.slice(2).join(", ")}`);
