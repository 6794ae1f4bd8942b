// Small pieces the dashboard's components share: a codicon button, and the
// @vscode-elements/elements controls the toolbar uses (registered here once).
// They render in shadow roots with Lit's adopted stylesheets, which the
// page's CSP (`style-src ${cspSource}`, no inline styles) allows; their
// codicons come from the page's codicon stylesheet (id vscode-codicon-stylesheet).
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { h } from '../../shared/host';
import { icon } from '../../shared/styles';

export function button(codicon: string, label: string, title: string, iconOnly = false): HTMLButtonElement {
  return h('button', { type: 'button', title, 'aria-label': label, class: iconOnly ? 'icon-btn' : '' }, icon(codicon), iconOnly ? null : ` ${label}`);
}

/** A toolbar button (vscode-button with a codicon). */
export function toolButton(codicon: string, label: string, title: string, id: string): HTMLElement {
  const b = document.createElement('vscode-button');
  b.id = id;
  b.setAttribute('icon', codicon);
  b.title = title;
  b.setAttribute('aria-label', label);
  b.textContent = label;
  return b;
}

export function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : String(n);
}
