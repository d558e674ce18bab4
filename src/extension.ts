import * as vscode from "vscode";

/** Extension entry point. Views, commands and the inspector register here as they land. */
export function activate(context: vscode.ExtensionContext): void {
  const output = vscode.window.createOutputChannel("AgentRL");
  context.subscriptions.push(
    output,
    vscode.commands.registerCommand("agentrl.showOutput", () => output.show()),
  );
}

export function deactivate(): void {}
