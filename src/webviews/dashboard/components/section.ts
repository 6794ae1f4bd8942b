// A collapsible section of charts (train/, eval/, system/, other).
import { h } from '../../shared/host';
import { icon } from '../../shared/styles';

export class Section {
  readonly grid = h('div', { class: 'grid' });
  private readonly count = h('span', { class: 'muted section-count' });
  private readonly head: HTMLButtonElement;
  readonly el: HTMLElement;

  constructor(
    readonly name: string,
    onToggle: () => void,
  ) {
    this.head = h('button', { type: 'button', class: 'section-head', 'aria-expanded': 'true', 'data-section': name }, icon('chevron-down', 'chevron'), h('span', { class: 'section-name' }, name === 'other' ? 'other' : `${name}/`), this.count);
    this.el = h('section', { class: 'section', 'data-section': name }, this.head, this.grid);
    this.head.addEventListener('click', onToggle);
  }

  setCount(n: number): void {
    this.count.textContent = ` ${n} chart${n === 1 ? '' : 's'}`;
  }

  setCollapsed(collapsed: boolean): void {
    this.el.classList.toggle('collapsed', collapsed);
    this.head.setAttribute('aria-expanded', String(!collapsed));
    this.grid.hidden = collapsed;
  }

  get collapsed(): boolean {
    return this.el.classList.contains('collapsed');
  }
}
