// The sample player: one panel beside the editor that plays a dataset
// sample's audio and shows its prompt and lyrics. The page has no script at
// all (enableScripts false) and can read only the webview bundle and that
// dataset's folder; text goes in escaped.
import * as vscode from 'vscode';
import type { SampleInfo } from '../../../protocol/datasets';
import { escapeHtml, renderPage, webviewOptions } from '../webviewHtml';

export const PLAYER_VIEW_TYPE = 'tuneStudio.samplePlayer';

export class PlayerPanel {
  private static current: vscode.WebviewPanel | undefined;

  /** Shows `info` (a sample of the dataset named `datasetName` in `datasetDir`), reusing the open player. */
  static show(extensionUri: vscode.Uri, datasetDir: string, datasetName: string, info: SampleInfo): vscode.WebviewPanel {
    const options = { ...webviewOptions(extensionUri, [vscode.Uri.file(datasetDir)]), enableScripts: false };
    let player = PlayerPanel.current;
    if (!player) {
      player = vscode.window.createWebviewPanel(PLAYER_VIEW_TYPE, info.stem, vscode.ViewColumn.Beside, options);
      const created = player;
      player.onDidDispose(() => {
        if (PlayerPanel.current === created) PlayerPanel.current = undefined;
      });
      PlayerPanel.current = player;
    } else {
      player.webview.options = options;
      player.reveal(vscode.ViewColumn.Beside);
    }
    player.title = `▶ ${info.stem}`;
    const src = player.webview.asWebviewUri(vscode.Uri.file(info.audio));
    const body = `<h1>${escapeHtml(info.stem)}</h1>
<audio controls autoplay preload="auto" src="${escapeHtml(src.toString())}"></audio>
<p class="muted">${escapeHtml(datasetName)} · ${info.duration !== null ? `${info.duration.toFixed(1)} s` : 'duration unknown'}${info.codec ? ` · ${escapeHtml(info.codec)}` : ''}${info.sampleRate ? ` · ${info.sampleRate} Hz` : ''}</p>
<h2>Prompt</h2><p>${info.tags.length ? info.tags.map((t) => `<code>${escapeHtml(t)}</code>`).join(' ') : '<span class="muted">none</span>'}</p>
<h2>Lyrics</h2><pre>${info.lyricsText ? escapeHtml(info.lyricsText) : '<span class="muted">none</span>'}${info.lyricsTruncated ? '\n…' : ''}</pre>`;
    // renderPage gives the strict CSP (nonce, media-src limited to the webview's own resources); this page needs no script.
    player.webview.html = renderPage(player.webview, extensionUri, 'player', `Play ${info.stem}`)
      .replace(/<script[^>]*><\/script>\n?/, '')
      .replace('<div id="app" role="main"></div>', `<div id="app" role="main">${body}</div>`);
    return player;
  }
}
