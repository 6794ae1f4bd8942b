// Builds a webview page with a strict CSP: a fresh nonce per render, scripts
// only with that nonce, styles, images and fonts only from the extension's
// webview bundle folder. No inline handlers, no remote loads.
import * as vscode from 'vscode';
import { randomBytes } from 'node:crypto';

export function nonce(): string {
  return randomBytes(18).toString('base64').replace(/[^A-Za-z0-9]/g, '');
}

export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
}

export function webviewOptions(extensionUri: vscode.Uri, extraRoots: vscode.Uri[] = []): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    retainContextWhenHidden: false,
    localResourceRoots: [webviewRoot(extensionUri), ...extraRoots],
  };
}

export function csp(webview: vscode.Webview, n: string): string {
  const src = webview.cspSource;
  return [
    `default-src 'none'`,
    `script-src 'nonce-${n}'`,
    `style-src ${src}`,
    `img-src ${src} data: blob:`,
    `font-src ${src}`,
    `media-src ${src}`,
  ].join('; ');
}

/** The page for panel `name`: dist/webviews/<name>.js, the shared css and any of its own (`styles`, in the bundle folder). */
export function renderPage(webview: vscode.Webview, extensionUri: vscode.Uri, name: string, title: string, styles: string[] = []): string {
  const n = nonce();
  const root = webviewRoot(extensionUri);
  const script = webview.asWebviewUri(vscode.Uri.joinPath(root, `${name}.js`));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(root, 'webview.css'));
  const codicons = webview.asWebviewUri(vscode.Uri.joinPath(root, 'codicons', 'codicon.css'));
  const own = styles.map((f) => `\n<link rel="stylesheet" href="${webview.asWebviewUri(vscode.Uri.joinPath(root, f))}">`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp(webview, n)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}" id="vscode-codicon-stylesheet">
<link rel="stylesheet" href="${css}">${own}
<title>${escapeHtml(title)}</title>
</head>
<body data-panel="${escapeHtml(name)}">
<div id="app" role="main"></div>
<script nonce="${n}" src="${script}"></script>
</body>
</html>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * Posts a message to a panel's page. A panel the user closed while an answer
 * was on its way is not an error (VS Code throws "Webview is disposed").
 */
export function postToPanel(panel: vscode.WebviewPanel, message: unknown): Promise<boolean> {
  try {
    return Promise.resolve(panel.webview.postMessage(message)).catch(() => false);
  } catch {
    return Promise.resolve(false);
  }
}
