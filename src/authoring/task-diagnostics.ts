import * as vscode from "vscode";
import { validateTasksJsonl } from "./validate-tasks";

/** Shows tasks.jsonl schema problems as diagnostics at the offending line, live while typing. */
export function registerTaskDiagnostics(context: vscode.ExtensionContext): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection("agentrl");
  const check = (doc: vscode.TextDocument): void => {
    if (!doc.uri.fsPath.endsWith(".jsonl") || !/tasks/i.test(doc.uri.fsPath.split(/[\\/]/).pop() ?? "")) return;
    const diags = validateTasksJsonl(doc.getText()).map((p) => {
      const d = new vscode.Diagnostic(new vscode.Range(p.line, p.start, p.line, p.end), p.message, vscode.DiagnosticSeverity.Error);
      d.source = "agentrl";
      return d;
    });
    collection.set(doc.uri, diags);
  };
  context.subscriptions.push(
    collection,
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => collection.delete(doc.uri)),
  );
  vscode.workspace.textDocuments.forEach(check);
  return collection;
}
