// Runtime Status page: which Node runs the runtime, the store, its schema
// version, who schedules jobs, the compute backends, and the runtime's state
// (live).
import type { StatusState, StatusToHost, StatusToWebview } from '../../protocol/webview';
import { connectHost, h } from '../shared/host';
import { schedulerLine } from './scheduler';

const host = connectHost<StatusToHost, StatusToWebview, StatusState>();
const app = document.getElementById('app')!;

function row(label: string, value: string, id?: string): HTMLTableRowElement {
  return h('tr', {}, h('th', { scope: 'row' }, label), h('td', { 'data-field': id }, value));
}

function render(msg: StatusToWebview | undefined): void {
  app.replaceChildren();
  const toolbar = h(
    'div',
    { class: 'toolbar' },
    button('refresh', 'Refresh', { type: 'refresh' }),
    button('debug-restart', 'Restart Runtime', { type: 'restartRuntime' }),
    button('folder-opened', 'Open Store Folder', { type: 'openStoreFolder' }),
  );
  app.append(h('h1', {}, 'Tune Studio: Runtime Status'), toolbar);
  if (!msg) {
    app.append(h('p', { class: 'muted' }, 'Waiting for the runtime…'));
    return;
  }
  const badge = h('span', { class: `badge state-${msg.state}`, 'data-field': 'state' }, msg.state);
  app.append(h('p', {}, 'Runtime: ', badge));
  if (msg.state !== 'running') {
    if (msg.error) app.append(h('p', { class: 'error', 'data-field': 'error' }, msg.error));
    app.append(clientTable(msg));
    return;
  }
  const s = msg.status;
  app.append(
    h('h2', {}, 'Runtime process'),
    h(
      'table',
      { class: 'kv' },
      row('Node', `${s.nodeVersion} — ${s.nodePath}`, 'node'),
      row('Process id', String(s.pid), 'pid'),
      row('Platform', `${s.platform} (${s.arch})`),
      row('Started', new Date(s.startedAt).toLocaleString()),
      row('Log level', s.logLevel),
      row('Workspace trust', s.trusted ? 'trusted' : 'untrusted: jobs will not start'),
      row('Jobs', schedulerLine(s), 'scheduler'),
    ),
    h('h2', {}, 'Store'),
    h(
      'table',
      { class: 'kv' },
      row('Folder', s.storeDir, 'storeDir'),
      row('Database', s.dbPath, 'dbPath'),
      row(
        'Schema version',
        s.schemaVersion === null ? `not created yet (latest is ${s.latestSchemaVersion})` : `${s.schemaVersion} (latest ${s.latestSchemaVersion})`,
        'schemaVersion',
      ),
    ),
    h('h2', {}, 'Compute backends'),
    h(
      'table',
      { class: 'backends' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Backend'), h('th', {}, 'Available'), h('th', {}, 'Detail'))),
      h(
        'tbody',
        {},
        ...s.backends.map((b) =>
          h(
            'tr',
            { 'data-backend': b.name },
            h('td', {}, b.name),
            h('td', {}, h('span', { class: `codicon codicon-${b.available ? 'pass' : 'circle-slash'} ${b.available ? 'ok' : 'no'}` }), b.available ? ' yes' : ' no'),
            h('td', {}, b.detail),
          ),
        ),
      ),
    ),
    clientTable(msg),
  );
}

function clientTable(msg: StatusToWebview): HTMLElement {
  const c = msg.client;
  return h(
    'details',
    {},
    h('summary', {}, 'Extension'),
    h(
      'table',
      { class: 'kv' },
      row('Tune Studio', c.extensionVersion),
      row('VS Code', c.vscodeVersion),
      row('Runtime Node choice', c.nodeSource ?? 'not chosen yet'),
      row('Automatic restarts', String(c.restarts), 'restarts'),
    ),
  );
}

function button(icon: string, label: string, msg: StatusToHost): HTMLButtonElement {
  const b = h('button', { type: 'button', title: label }, h('span', { class: `codicon codicon-${icon}` }), ` ${label}`);
  b.addEventListener('click', () => host.post(msg));
  return b;
}

host.onMessage((msg) => {
  if (msg.type === 'status') {
    host.setState({ lastStatus: msg });
    render(msg);
  }
});

render(host.getState()?.lastStatus);
host.post({ type: 'ready' });
