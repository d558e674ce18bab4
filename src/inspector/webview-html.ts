import crypto from "node:crypto";
import * as vscode from "vscode";

/**
 * The inspector page: one script (the webview bundle) and one stylesheet, allowed by a strict CSP
 * with a fresh nonce; images only from data: URLs (screenshots are fetched through the host).
 */
export function inspectorHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = crypto.randomBytes(16).toString("base64");
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", "inspector.js"));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", "inspector.css"));
  const csp = [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    // Inline style attributes come from React (virtual rows, chart sizes) and from web components' adopted sheets.
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `font-src ${webview.cspSource}`,
    "img-src data:",
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>AgentRL Inspector</title>
</head>
<body>
<div id="root"></div>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
