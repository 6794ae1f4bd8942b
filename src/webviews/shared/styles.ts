// Loads a panel's own stylesheet (esbuild writes `<panel>.css` beside
// `<panel>.js` when the page imports css). The page's CSP allows styles only
// from the extension's webview folder, which is where this link points, so no
// inline <style> is needed.
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

/** Codicon and theme colour class for a run status (same choice as the Runs tree). */
export function statusIcon(status: string): { icon: string; cls: string } {
  switch (status) {
    case 'running':
      return { icon: 'sync', cls: 'st-running codicon-modifier-spin' };
    case 'finished':
      return { icon: 'pass', cls: 'st-finished' };
    case 'failed':
      return { icon: 'error', cls: 'st-failed' };
    case 'crashed':
      return { icon: 'flame', cls: 'st-failed' };
    case 'stopped':
      return { icon: 'debug-stop', cls: 'st-stopped' };
    case 'cancelled':
      return { icon: 'circle-slash', cls: 'st-cancelled' };
    default:
      return { icon: 'circle-outline', cls: '' };
  }
}
