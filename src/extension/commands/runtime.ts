// Runtime and workspace commands: Show Runtime Status (and its panel's
// serializer), Restart Runtime, Open Store Folder, Refresh, Show Output, and
// Open a Guide (the user guides that ship with the extension, docs/*.md).
import * as vscode from 'vscode';
import { RuntimeStatusRequest } from '../../protocol/runtime';
import type { Ctx } from '../ctx';
import { StatusPanel, STATUS_VIEW_TYPE } from '../panels/statusPanel';

/** The guides by topic (docs/<topic>.md), as the quick pick lists them. */
const GUIDES: Record<string, string> = { datasets: 'Datasets and captioning', training: 'The built-in LoRA trainer', parsers: 'Metrics from any trainer', ui: 'Views, dashboard and compare', spine: 'Install, run and test' };

export function register(ctx: Ctx): void {
  const { context, runtime } = ctx;
  const restarts = () => ctx.restarts();
  ctx.subscribe(
    vscode.commands.registerCommand('tuneStudio.showRuntimeStatus', () => StatusPanel.show(context, runtime, restarts)),
    vscode.commands.registerCommand('tuneStudio.restartRuntime', () =>
      vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: 'Tune Studio: restarting runtime' }, () => runtime.restart()),
    ),
    vscode.commands.registerCommand('tuneStudio.openStoreFolder', () => openStoreFolder(ctx)),
    vscode.commands.registerCommand('tuneStudio.refresh', () => ctx.trees().forEach(([, t]) => t.refresh())),
    vscode.commands.registerCommand('tuneStudio.showOutput', () => ctx.output.show()),
    vscode.commands.registerCommand('tuneStudio.openGuide', (topic?: string) => openGuide(ctx, topic)),
    vscode.window.registerWebviewPanelSerializer(STATUS_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        StatusPanel.revive(panel, context, runtime, restarts);
      },
    }),
  );
}

async function openStoreFolder(ctx: Ctx): Promise<void> {
  const status = await ctx.runtime.request(RuntimeStatusRequest.type, undefined);
  const uri = vscode.Uri.file(status.storeDir);
  try {
    await vscode.workspace.fs.createDirectory(uri);
  } catch {
    /* exists or cannot be made: revealing will say so */
  }
  // In a browser (code-server) or remote window there is no OS file manager: reveal in the Explorer.
  const local = vscode.env.uiKind === vscode.UIKind.Desktop && !vscode.env.remoteName;
  const inWorkspace = vscode.workspace.getWorkspaceFolder(uri) !== undefined;
  if (local) await vscode.commands.executeCommand('revealFileInOS', uri);
  else if (inWorkspace) await vscode.commands.executeCommand('revealInExplorer', uri);
  else {
    const pick = await vscode.window.showInformationMessage(`Tune Studio store: ${status.storeDir}`, 'Copy Path');
    if (pick) await vscode.env.clipboard.writeText(status.storeDir);
  }
}

/** Opens a guide as a rendered preview; without a known topic a quick pick asks which. */
async function openGuide(ctx: Ctx, topic?: string): Promise<void> {
  const pick = topic && Object.hasOwn(GUIDES, topic) ? topic : (await vscode.window.showQuickPick(Object.entries(GUIDES).map(([id, label]) => ({ label, id }))))?.id;
  if (!pick) return;
  await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.joinPath(ctx.context.extensionUri, 'docs', `${pick}.md`));
}
