// How a run status or job state looks, everywhere it is shown: the codicon,
// whether it spins, the theme colour the tree views use, and the tone the
// webviews colour it by (their stylesheets define `.st-<tone>`). One table, so
// the Runs and Jobs views, quick picks, tooltips, the dashboard and the
// compare table show the same outcome the same way. Pure: no imports.

export interface StatusLook {
  /** Codicon id without modifiers. */
  codicon: string;
  spin: boolean;
  /** Theme colour id (`new ThemeColor(color)` in the host). */
  color: string;
  /** Webview colour class suffix (`st-<tone>`); '' for none. */
  tone: string;
}

const LOOKS: Record<string, StatusLook> = {
  queued: { codicon: 'clock', spin: false, color: 'descriptionForeground', tone: '' },
  starting: { codicon: 'loading', spin: true, color: 'charts.blue', tone: 'running' },
  running: { codicon: 'sync', spin: true, color: 'charts.blue', tone: 'running' },
  completed: { codicon: 'pass', spin: false, color: 'testing.iconPassed', tone: 'finished' },
  finished: { codicon: 'pass', spin: false, color: 'testing.iconPassed', tone: 'finished' },
  failed: { codicon: 'error', spin: false, color: 'testing.iconFailed', tone: 'failed' },
  crashed: { codicon: 'flame', spin: false, color: 'testing.iconErrored', tone: 'failed' },
  stopped: { codicon: 'debug-stop', spin: false, color: 'charts.orange', tone: 'stopped' },
  cancelled: { codicon: 'circle-slash', spin: false, color: 'disabledForeground', tone: 'cancelled' },
};

/** The look of a run status or job state; an unknown one gets a plain circle and no colour. */
export function statusLook(state: string): StatusLook | undefined {
  return Object.prototype.hasOwnProperty.call(LOOKS, state) ? LOOKS[state] : undefined;
}

/** Codicon id as VS Code writes it in labels and ThemeIcons (`sync~spin`). */
export function statusCodicon(state: string): string {
  const l = statusLook(state);
  if (!l) return 'circle-outline';
  return l.spin ? `${l.codicon}~spin` : l.codicon;
}
