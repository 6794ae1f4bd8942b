// The dashboard's toolbar: smoothing, x axis, log scale for all charts, the
// metric filter, reset zoom and compare. The range slider and the axis
// select stay native (vscode-elements has no slider; its single-select is not
// a <select>, which keyboard users and tests drive as one); the checkbox,
// the filter field and the buttons are vscode-elements.
import type { XAxisMode } from '../../../protocol/webview';
import { h } from '../../shared/host';
import { icon } from '../../shared/styles';
import type { DashboardModel } from '../model';
import { toolButton } from './controls';

export interface ToolbarActions {
  /** Something every chart draws changed (smoothing, axis, log scale, zoom). */
  redraw(): void;
  filter(): void;
  compare(): void;
}

export class Toolbar {
  readonly el = h('div', { class: 'toolbar dash-toolbar' });
  private readonly smoothing = h('input', { type: 'range', min: '0', max: '0.99', step: '0.01', id: 'smoothing', 'aria-label': 'Smoothing' });
  private readonly smoothingValue = h('span', { class: 'smoothing-value' });
  private readonly axis = h(
    'select',
    { id: 'x-axis', 'aria-label': 'X axis' },
    h('option', { value: 'step' }, 'Step'),
    h('option', { value: 'relative' }, 'Relative time'),
    h('option', { value: 'wall' }, 'Wall time'),
  );
  private readonly logAll = document.createElement('vscode-checkbox');
  readonly filterInput = document.createElement('vscode-textfield');

  constructor(
    private readonly model: DashboardModel,
    on: ToolbarActions,
  ) {
    this.logAll.id = 'log-all';
    this.logAll.setAttribute('label', 'Log scale (all)');
    this.filterInput.id = 'metric-filter';
    this.filterInput.setAttribute('type', 'search');
    this.filterInput.setAttribute('placeholder', 'Filter metrics');
    this.filterInput.setAttribute('aria-label', 'Filter metrics');
    const resetAll = toolButton('zoom-out', 'Reset Zoom', 'Reset the zoom of every chart', 'reset-zoom');
    const compare = toolButton('diff-multiple', 'Compare', 'Compare these runs in a table', 'compare');
    this.el.append(
      h('label', { for: 'smoothing', class: 'control' }, 'Smoothing ', this.smoothing, this.smoothingValue),
      h('label', { for: 'x-axis', class: 'control' }, 'X axis ', this.axis),
      this.logAll,
      this.filterInput,
      resetAll,
      compare,
      h('span', { class: 'muted hint', title: 'Drag on a chart to zoom into a range, Shift+drag to pan, Ctrl/Alt+wheel to zoom, double-click to reset.' }, icon('info'), ' Drag: zoom · Shift+drag: pan · Ctrl+wheel · double-click: reset'),
    );
    this.smoothing.addEventListener('input', () => {
      model.state.smoothing = Number(this.smoothing.value);
      this.smoothingValue.textContent = model.state.smoothing.toFixed(2);
      model.save();
      on.redraw();
    });
    this.axis.addEventListener('change', () => {
      model.state.xAxis = this.axis.value as XAxisMode;
      // Zoom ranges are in the old axis's units.
      model.clearZooms();
      on.redraw();
    });
    this.logAll.addEventListener('change', () => {
      model.setLogAll(this.logAll.checked);
      on.redraw();
    });
    this.filterInput.addEventListener('input', () => {
      model.filter = this.filterInput.value.trim().toLowerCase();
      on.filter();
    });
    resetAll.addEventListener('click', () => {
      model.clearZooms();
      on.redraw();
    });
    compare.addEventListener('click', () => on.compare());
  }

  /** Shows the model's values. */
  sync(): void {
    this.smoothing.value = String(this.model.state.smoothing);
    this.smoothingValue.textContent = this.model.state.smoothing.toFixed(2);
    this.axis.value = this.model.state.xAxis;
    this.logAll.checked = this.model.logAll;
  }

  clearFilter(): void {
    this.filterInput.value = '';
    this.model.filter = '';
  }
}
