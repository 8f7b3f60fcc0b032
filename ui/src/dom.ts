// Building DOM nodes: the small helpers every view uses.

/** An element with an optional class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A button (type=button, so it never submits a form) that calls `onClick`. */
export function button(label: string, className: string, onClick?: () => void): HTMLButtonElement {
  const b = el('button', className, label);
  b.type = 'button';
  if (onClick) b.addEventListener('click', onClick);
  return b;
}

/** A form's message line (role=alert, so a screen reader says it): what was saved or went wrong. */
export class FormMessage {
  readonly element = el('div', 'form-message');

  constructor() {
    this.element.setAttribute('role', 'alert');
  }

  say(text: string, kind: 'info' | 'error'): void {
    this.element.textContent = text;
    this.element.dataset['kind'] = kind;
  }
}
