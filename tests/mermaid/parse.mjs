// Parse Mermaid charts with Mermaid's own parser, as GitHub's renderer would before drawing.
// stdin: a JSON array of chart sources (the text inside ```mermaid fences).
// stdout: a JSON array, one {"ok": true, "type": "xychart"} or {"ok": false, "error": "..."} each.
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom provides one under node.
import { JSDOM } from 'jsdom';

const dom = new JSDOM('<!doctype html><html><body></body></html>');
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const charts = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const results = [];
for (const chart of charts) {
  try {
    const parsed = await mermaid.parse(chart);
    results.push({ ok: true, type: parsed.diagramType });
  } catch (error) {
    results.push({ ok: false, error: String(error?.message ?? error).split('\n').slice(0, 4).join('\n') });
  }
}
process.stdout.write(JSON.stringify(results) + '\n');
