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

/** A table with a caption and column headers; rows are arrays of cells (strings or nodes). It scrolls inside its wrapper (tableWrap). */
export function table(caption, headers, rows) {
  return tableWrap(h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headers.map(header => h('th', { scope: 'col' }, header)))),
    h('tbody', {}, rows.map(row => h('tr', {}, row.map(cell => h('td', {}, cell)))))));
}

// A wrapper that is wider than the screen scrolls sideways; only then is it a keyboard stop (a named region, so the
// arrow keys can scroll it), otherwise every table would add a Tab stop that does nothing.
const overflowing = new ResizeObserver(entries => {
  for (const { target } of entries) {
    if (target.scrollWidth > target.clientWidth + 1) {
      target.setAttribute('tabindex', '0');
      target.setAttribute('role', 'region');
      target.setAttribute('aria-label', target.querySelector('caption')?.textContent || 'Table');
    } else {
      ['tabindex', 'role', 'aria-label'].forEach(name => target.removeAttribute(name));
    }
  }
});

/**
 * Puts a table in a wrapper that scrolls sideways when the table is wider than the page, so the page itself never
 * does (a phone-wide screen shows the table's start and lets it be scrolled). Every table of the console is wrapped.
 */
export function tableWrap(tableElement) {
  const wrapper = h('div', { class: 'table-wrap' }, tableElement);
  overflowing.observe(wrapper);
  return wrapper;
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * An icon from the console's sprite (/ui/icons.svg): decorative, hidden from assistive technology, so whatever it
 * stands beside must say the same in words. Names: the sprite's symbol ids (dashboard, devices, ok, warning, …).
 */
export function icon(name) {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', `icon icon-${name}`);
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const use = document.createElementNS(SVG, 'use');
  use.setAttribute('href', `/ui/icons.svg#${name}`);
  svg.append(use);
  return svg;
}

// How each kind of state reads at a glance. ok: nothing to do; info: in progress; warn: look soon; danger: act now;
// neutral: over or not known. A value not listed is neutral.
const TONES = {
  device: { ENROLLED: 'ok', PENDING: 'info', QUARANTINED: 'warn', RETIRED: 'neutral', WIPED: 'neutral' },
  compliance: { COMPLIANT: 'ok', NON_COMPLIANT: 'danger', IN_GRACE_PERIOD: 'warn', UNKNOWN: 'neutral' },
  command: { QUEUED: 'info', SENT: 'info', ACKNOWLEDGED: 'ok', FAILED: 'danger', NOT_NOW: 'warn', EXPIRED: 'warn', CANCELLED: 'neutral' },
  threat: { NONE: 'ok', LOW: 'info', MEDIUM: 'warn', HIGH: 'danger', CRITICAL: 'danger' },
  plugin: { STARTED: 'ok', OUT_OF_SERVICE: 'danger', FAILED: 'danger', SUPERSEDED: 'neutral', DISABLED: 'neutral' },
  setting: { APPLIED: 'ok', INSTALLED: 'ok', PENDING: 'info', FAILED: 'danger', REMOVED: 'neutral', NOT_SUPPORTED: 'warn' },
  app: { INSTALLED: 'ok', PENDING: 'info', INSTALLING: 'info', FAILED: 'danger', REMOVED: 'neutral', NOT_INSTALLED: 'neutral' },
};
const TONE_ICONS = { ok: 'ok', info: 'info', warn: 'warning', danger: 'danger', neutral: 'neutral' };

/**
 * A state as a badge: its words, an icon and a colour (never the colour alone, so it reads without colour vision and
 * in both themes). kind: device (status), compliance, command, threat, plugin, setting, app; or a tone (ok, info,
 * warn, danger, neutral) for anything else. text: the words shown, by default the value in words.
 */
export function badge(kind, value, text = words(value)) {
  const tone = TONE_ICONS[kind] ? kind : TONES[kind]?.[String(value).toUpperCase()] ?? 'neutral';
  return h('span', { class: `badge tone-${tone}`, dataset: { kind, value: String(value ?? '') } }, icon(TONE_ICONS[tone]), text);
}

/**
 * Headline figures as a row of cards (the dashboard's and the reports' "how many, at a glance"). Each card:
 * { label, value, hint?, href?, tone? }; a card with href is a link to the list behind the figure.
 */
export function headlines(label, cards) {
  return h('ul', { class: 'headlines', 'aria-label': label }, cards.map(card => {
    const content = [h('span', { class: 'headline-value' }, String(card.value)), h('span', { class: 'headline-label' }, card.label),
      card.hint ? h('span', { class: 'headline-hint' }, card.hint) : null];
    return h('li', { class: `headline tone-${card.tone ?? 'neutral'}` }, card.href ? h('a', { href: card.href }, content) : content);
  }));
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

/**
 * For a form's submit handler: true (after saying so at the field and focusing it) when a required text or file input
 * is blank. Earlier messages of the form are cleared first; feedback (the form's message area) is emptied.
 */
export function blank(input, feedback, text) {
  if (input.value.trim()) return false;
  markInvalid(input, text, feedback);
  return true;
}

/**
 * A form's own check failed on one control: earlier messages of its form are cleared, feedback (the form's message
 * area) is emptied, the message is shown at the control (fieldError) and the control takes the focus.
 */
export function markInvalid(control, text, feedback = null) {
  clearErrors(control.form ?? control.parentElement);
  if (feedback) replace(feedback);
  fieldError(control, text);
  control.focus();
}

/**
 * Marks a control as wrong: the message under it (the field's last line), aria-invalid, and the message added to its
 * aria-describedby, so a screen reader reads it with the field. Editing the control again takes the mark away.
 */
export function fieldError(control, text) {
  clearFieldError(control);
  const note = h('p', { class: 'field-error', id: uid('error') }, icon('danger'), text);
  (control.closest('.field') ?? control.parentElement).append(note);
  control.setAttribute('aria-invalid', 'true');
  control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), note.id].filter(Boolean).join(' '));
  control.addEventListener('input', () => clearFieldError(control), { once: true });
  return note;
}

function clearFieldError(control) {
  const described = (control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  const kept = described.filter(id => {
    const note = document.getElementById(id);
    if (!note?.classList.contains('field-error')) return true;
    note.remove();
    return false;
  });
  if (kept.length) control.setAttribute('aria-describedby', kept.join(' '));
  else control.removeAttribute('aria-describedby');
  control.removeAttribute('aria-invalid');
}

/** Takes every field message and the error summary off a form (before it is checked or sent again). */
export function clearErrors(form) {
  if (!form) return;
  form.querySelectorAll('[aria-invalid="true"]').forEach(clearFieldError);
  form.querySelectorAll('.field-error, .form-summary').forEach(element => element.remove());
}

/** What is wrong with a control by the browser's own checks (required, min, max, lengths, type), in the form's words. */
export function invalidWords(control) {
  const label = labelOf(control) ?? control.name;
  const validity = control.validity;
  if (validity.valueMissing) return control.type === 'checkbox' ? `Tick “${label}”.` : `${label} is required.`;
  if (validity.tooShort) return `${label} must be at least ${control.minLength} characters long.`;
  if (validity.tooLong) return `${label} must be at most ${control.maxLength} characters long.`;
  if (validity.rangeUnderflow) return `${label} must be at least ${control.min}.`;
  if (validity.rangeOverflow) return `${label} must be at most ${control.max}.`;
  if (validity.stepMismatch && control.step === '1') return `${label} must be a whole number.`;
  if (validity.badInput && control.type === 'number') return `${label} must be a number.`;
  if (validity.typeMismatch && control.type === 'email') return `${label} must be an e-mail address.`;
  if (validity.typeMismatch && control.type === 'url') return `${label} must be a full web address, such as https://example.com.`;
  return inFormWords(label, control.validationMessage);
}

/**
 * Shows the browser's own checks of every form the way a server refusal is shown: when a form is submitted with a
 * control that breaks its constraints, the browser's bubble is replaced by a message at the field (fieldError) and
 * the focus moves to the first such field. The console installs it once for all its pages and plugins' pages.
 */
export function showInvalidFieldsAtTheirField(root = document) {
  let round = null;
  root.addEventListener('invalid', event => {
    const control = event.target;
    event.preventDefault();
    // The browser reports each invalid control of one submission in turn: the first clears the form and takes focus.
    if (round !== control.form) {
      round = control.form;
      setTimeout(() => { round = null; });
      clearErrors(control.form);
      control.focus();
    }
    fieldError(control, invalidWords(control));
  }, true);
}

/** The words of the label that names a control (its required mark left out), or null. */
function labelOf(control) {
  const label = control.labels?.[0];
  if (!label) return control.getAttribute('aria-label');
  const copy = label.cloneNode(true);
  copy.querySelectorAll('[aria-hidden="true"]').forEach(hidden => hidden.remove());
  return copy.textContent.trim().replace(/\s*\*$/, '');
}

// A problem about a field, as the server words it: "/pointer: message", "name: message" or "name must …".
const POINTER_PROBLEM = /^\/([^/:]+)(?:\/[^:]*)?: (.*)$/s;
const NAMED_PROBLEM = /^([A-Za-z][A-Za-z0-9]*)(?:: | (?=(?:must|is|are|should|may|can|cannot|has|needs|takes)\b))(.*)$/s;
const VERB_FIRST = /^(must|is|are|should|may|can|cannot|has|needs|takes)\b/;

/** The problem's message in the form's words: the field's label in place of the API's name, as a sentence. */
export function inFormWords(label, text) {
  const sentence = VERB_FIRST.test(text) ? `${label} ${text}` : `${label}: ${text}`;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Shows a refused request (an ApiError) on the form that sent it, the same way on every form: each problem that
 * names a field (by JSON pointer "/name…: …" or by the API's property name) is shown at that field in the form's
 * words (its label, not the API's name), marked aria-invalid and tied to it by aria-describedby; the rest go in a
 * summary at the top of the form (role=alert). Focus moves to the first marked field, else to the summary.
 *
 * options.fields: API property names → controls, for controls whose name attribute is not the API's name;
 * options.place(problem): a nested form's own placer (a schema form's showProblems) tried first, true when placed;
 * options.feedback: the form's message area, emptied.
 */
export function showProblems(form, error, { fields = {}, place = null, feedback = null } = {}) {
  clearErrors(form);
  if (feedback) replace(feedback);
  const details = error.details?.length ? error.details : [error.message];
  const controlFor = name => {
    const named = fields[name] ?? form.elements?.namedItem(name);
    return named instanceof Element && !named.disabled && named.type !== 'hidden' ? named : null;
  };
  const unplaced = [];
  for (const problem of details) {
    if (place?.(problem)) continue;
    const found = POINTER_PROBLEM.exec(problem) ?? NAMED_PROBLEM.exec(problem);
    const control = found ? controlFor(decodeURIComponent(found[1]).replace(/~1/g, '/').replace(/~0/g, '~')) : null;
    if (control) fieldError(control, inFormWords(labelOf(control) ?? found[1], found[2]));
    else unplaced.push(problem);
  }
  let summary = null;
  if (unplaced.length) {
    const listed = unplaced.filter(problem => problem !== error.message);
    summary = h('div', { class: 'message error form-summary', role: 'alert', tabindex: '-1' },
      h('p', {}, error.message),
      listed.length ? h('ul', {}, listed.map(problem => h('li', {}, problem))) : null);
    const heading = form.firstElementChild?.matches('h2, h3, legend') ? form.firstElementChild : null;
    if (heading) heading.after(summary);
    else form.prepend(summary);
  }
  const first = form.querySelector('[aria-invalid="true"]');
  (first ?? summary)?.focus();
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
