// Parses an AsyncAPI document with the official parser and prints its diagnostics as JSON lines.
// Exit 0 when there is no error-level diagnostic (warnings are printed, not fatal).
import { Parser, fromFile, DiagnosticSeverity } from '@asyncapi/parser';

const path = process.argv[2];
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, path).parse();
for (const d of diagnostics) {
  console.log(JSON.stringify({ severity: d.severity, code: d.code, message: d.message, path: d.path.join('.') }));
}
const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
if (!document || errors.length > 0) {
  console.error(`${errors.length} error(s) in ${path}`);
  process.exit(1);
}
console.log(`valid: ${document.channels().length} channels, ${document.messages().length} messages`);
