// Loads a panel's own stylesheet (esbuild writes `<panel>.css` beside
// `<panel>.js` when the page imports css). The page's CSP allows styles only
// from the extension's webview folder, which is where this link points, so no
// inline <style> is needed.
import { statusLook } from '../../protocol/status';

export function loadPanelStyles(): void {
  const script = document.currentScript as HTMLScriptElement | null;
  if (!script?.src) return;
  const link = document.createElement('link');
  link.rel = 'stylesheet';
  link.href = script.src.replace(/\.js(?=$|[?#])/, '.css');
  document.head.append(link);
}

/** A codicon span (the codicon font is loaded by every page). */
export function icon(name: string, extra = ''): HTMLSpanElement {
  const s = document.createElement('span');
  s.className = `codicon codicon-${name}${extra ? ' ' + extra : ''}`;
  s.setAttribute('aria-hidden', 'true');
  return s;
}

/** Codicon and theme colour class for a run status (the protocol's status table, as the Runs tree). */
export function statusIcon(status: string): { icon: string; cls: string } {
  const look = statusLook(status);
  if (!look) return { icon: 'circle-outline', cls: '' };
  const cls = [look.tone ? `st-${look.tone}` : '', look.spin ? 'codicon-modifier-spin' : ''].filter(Boolean).join(' ');
  return { icon: look.codicon, cls };
}
