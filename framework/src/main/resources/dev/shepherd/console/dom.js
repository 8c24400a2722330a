// Building the page from data without parsing strings as HTML: every value from the API becomes a text node, so a device named
// "<img onerror=…>" shows as that text and never as markup.

/**
 * Creates an element. attributes: plain attributes, plus `on…` functions as listeners and `dataset` as data-*;
 * children: strings (as text), nodes, arrays of those, or null/false (skipped).
 */
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (name === 'dataset') {
      Object.assign(element.dataset, value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else {
      element.setAttribute(name, String(value));
    }
  }
  append(element, children);
  return element;
}

function append(parent, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces an element's content. */
export function replace(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

let ids = 0;
/** A fresh id for tying labels and descriptions to their controls. */
export function uid(prefix = 'f') {
  ids += 1;
  return `${prefix}-${ids}`;
}

/** A date-time in the admin's locale, or a dash. */
export function when(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/** ENUM_NAMES read as words: NON_COMPLIANT → "Non compliant". */
export function words(value) {
  if (value === null || value === undefined || value === '') return '—';
  const text = String(value).replaceAll('_', ' ').toLowerCase();
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** A labelled field: the label, the control, and an optional hint tied to it by aria-describedby. */
export function field(label, control, hint) {
  const id = control.id || uid();
  control.id = id;
  const hintElement = hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null;
  if (hintElement) control.setAttribute('aria-describedby', hintElement.id);
  return h('div', { class: 'field' }, h('label', { for: id }, label), control, hintElement);
}

/** A message box for errors (role=alert, read out at once) or information. */
export function message(kind, text) {
  return h('p', { class: `message ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
}

/**
 * A refused request in words: the server's detail and the problems it listed (an ApiError's details), or those of
 * them no form field took.
 */
export function problemMessage(error, details = error.details ?? []) {
  return h('div', { role: 'alert', class: 'message error' }, h('p', {}, error.message),
    details.length ? h('ul', {}, details.map(detail => h('li', {}, detail))) : null);
}

/** An empty state: what is missing and what to do next. */
export function empty(text, ...next) {
  return h('div', { class: 'empty' }, h('p', {}, text), next.length ? h('p', {}, ...next) : null);
}

/** A table with a caption and column headers; rows are arrays of cells (strings or nodes). */
export function table(caption, headers, rows) {
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(header => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, rows.map(row => h('tr', {}, row.map(cell => h('td', {}, cell))))));
}

/**
 * Asks before something that cannot be undone, in a modal <dialog> (focus is trapped and Escape cancels).
 * Resolves true only when the admin pressed the confirming button.
 */
export function confirmAction({ title, text, confirm, danger = false }) {
  return new Promise(resolve => {
    const titleId = uid('dialog');
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      h('p', {}, text),
      h('form', { method: 'dialog', class: 'actions' },
        h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
        h('button', { type: 'submit', value: 'confirm', class: danger ? 'danger' : 'primary' }, confirm)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Asks before erasing more than one device: the admin types what the dialog names (the number of devices, or the
 * group's name) before the danger button works, so a slip of the mouse cannot erase a fleet. Focus starts on Cancel
 * and Escape cancels, as in confirmAction. Resolves true only when the typed text matched and the button was pressed.
 */
export function confirmTyped({ title, text, expected, prompt, confirm }) {
  return new Promise(resolve => {
    const titleId = uid('dialog');
    const typed = h('input', { name: 'typed-confirmation', autocomplete: 'off', spellcheck: 'false' });
    const button = h('button', { type: 'submit', value: 'confirm', class: 'danger', disabled: true }, confirm);
    typed.addEventListener('input', () => {
      button.disabled = typed.value.trim() !== String(expected);
    });
    const dialog = h('dialog', { class: 'confirm', 'aria-labelledby': titleId },
      h('h2', { id: titleId }, title),
      h('p', {}, text),
      h('form', { method: 'dialog' },
        field(prompt, typed),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'cancel', class: 'secondary', autofocus: true }, 'Cancel'),
          button)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'confirm' && typed.value.trim() === String(expected));
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * A danger button that removes something a page manages (a certificate, a token, a key): it asks first
 * (confirmAction, confirmed by a button of the same label), then runs the action; a failure is shown in feedback.
 */
export function removeButton({ label, title, text, action, feedback }) {
  return h('button', {
    type: 'button', class: 'danger',
    onclick: async () => {
      if (!await confirmAction({ title, text, confirm: label, danger: true })) return;
      try {
        await action();
      } catch (error) {
        replace(feedback, message('error', error.message));
      }
    },
  }, label);
}

/** Says something to screen-reader users without moving their focus. */
export function announce(text) {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}

/** The page's heading; focusable so the router can move keyboard and screen-reader users to the new page. */
export function heading(text, ...extra) {
  return h('div', { class: 'page-head' }, h('h1', { tabindex: '-1' }, text), ...extra);
}

/** For a form's submit handler: true (after saying so and focusing it) when a required text or file input is blank. */
export function blank(input, feedback, text) {
  if (input.value.trim()) return false;
  replace(feedback, message('error', text));
  input.focus();
  return true;
}

/** A button that copies a read-only input's text; where the clipboard is not available it selects the text instead. */
export function copyButton(input, label) {
  const button = h('button', {
    type: 'button', class: 'secondary',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(input.value);
        button.textContent = 'Copied';
      } catch {
        input.select();
        button.textContent = 'Press Ctrl+C to copy';
      }
    },
  }, label);
  return button;
}
