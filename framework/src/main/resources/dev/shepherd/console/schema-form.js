// Forms generated from a setting type's JSON Schema, so a plugin's setting types get a form without console code.
//
// Covered: objects (a fieldset per object, nested up to MAX_DEPTH), strings (text, password for writeOnly, enum as a list), integers and
// numbers (with their bounds), booleans, and arrays of strings (one per line). Anything else (arrays of objects,
// free-form maps, oneOf) is edited as JSON in a text area, so every schema still has a working form. The server
// validates the whole value against the schema, including the rules a form cannot show (allOf/if/then); its
// problems ("/pointer: message") are shown beside the fields they name with showProblems, the rest next to the form.

import { h, uid, fieldError, clearErrors, inFormWords } from './dom.js';

/** A value the admin typed that cannot be what the schema asks for. */
export class FormError extends Error {
  constructor(control, text) {
    super(text);
    this.control = control;
  }
}

const UNSET = Symbol('unset');
/** Objects nested deeper than this are edited as JSON: a form of fieldsets within fieldsets stops being readable. */
const MAX_DEPTH = 4;

/**
 * Builds the form for a schema. Returns { element, read }: read() gives the value to send (fields left empty are
 * omitted, so the setting's merge rules and defaults apply) or throws a FormError naming the control at fault.
 * value: the setting's current value when an existing policy is edited; fields it does not set show their defaults.
 * showProblems(problems) puts the server's "/pointer: message" problems beside the fields they name (a problem about
 * a field inside a JSON text area goes to that area) and returns those no field matches.
 */
export function schemaForm(schema, label, value) {
  const fields = new Map();
  const built = build(schema, label, true, value, { top: true, pointer: '', depth: 0, fields });
  const marked = [];
  // One problem at the field it names, in the form's words; false when no field of this form matches it.
  const place = problem => {
    const found = /^(\/[^:]*): (.*)$/s.exec(problem);
    if (!found) return false;
    let [, pointer, text] = found;
    // "/: required property 'password' not found" is about the field it names, not about the whole value.
    const missing = /required property '([^']+)' not found/.exec(text);
    if (missing) {
      pointer = `${pointer.replace(/\/$/, '')}/${missing[1].replace(/~/g, '~0').replace(/\//g, '~1')}`;
      text = 'is required';
    }
    const known = longestKnown(fields, pointer);
    if (known === null) return false;
    const { control, title } = fields.get(known);
    // Some validators repeat the location in the message itself.
    marked.push(control);
    fieldError(control, inFormWords(title, text.replace(/^\$?[./][^ ]*: /, '')));
    return true;
  };
  return {
    element: built.element,
    read() {
      const value = built.read();
      return value === UNSET ? {} : value;
    },
    place,
    /**
     * Puts the server's "/pointer: message" problems beside the fields they name (a problem about a field inside a
     * JSON text area goes to that area), focuses the first, and returns those no field matches.
     */
    showProblems(problems) {
      marked.splice(0).forEach(control => clearErrors(control.closest('.field') ?? control.parentElement));
      const unplaced = problems.filter(problem => !place(problem));
      marked[0]?.focus();
      return unplaced;
    },
  };
}

/** The pointer of the field a problem is about: its own, else the nearest enclosing one with a control. */
function longestKnown(fields, pointer) {
  for (let candidate = pointer; candidate.length > 0; candidate = candidate.slice(0, candidate.lastIndexOf('/'))) {
    if (fields.has(candidate)) return candidate;
  }
  return null;
}

// `start` is what a control shows first: the value being edited, else the schema's default. `at` says where the field
// sits: its JSON Pointer, its depth, and the map of pointers to controls that problems are placed by.
function build(schema, label, required, value, at) {
  const title = schema.title || label;
  const start = value !== undefined ? value : schema.default;
  const built = control(schema, title, required, value, start, at);
  if (built.control) at.fields.set(at.pointer, { control: built.control, title });
  return built;
}

function control(schema, title, required, value, start, at) {
  if (schema.type === 'object' && schema.properties && at.depth < MAX_DEPTH) return objectField(schema, title, value, at);
  if (Array.isArray(schema.enum)) return enumField(schema, title, required, start);
  if (schema.type === 'string') return stringField(schema, title, required, start);
  if (schema.type === 'integer' || schema.type === 'number') return numberField(schema, title, required, start);
  if (schema.type === 'boolean') return booleanField(schema, title, start);
  if (schema.type === 'array' && schema.items?.type === 'string' && !schema.items.enum) return stringListField(schema, title, required, start);
  return jsonField(schema, title, required, start);
}

/** Whether an optional control was left empty (its field is then not sent); a required one may not be. */
function empty(control, required, title) {
  if (control.value.trim() !== '') return false;
  if (required) throw new FormError(control, `Fill in “${title}”.`);
  return true;
}

function wrap(title, control, schema, required) {
  const id = uid('setting');
  control.id = id;
  const secret = schema.writeOnly || schema.format === 'password';
  const fallback = schema.default !== undefined && !secret ? `Default: ${typeof schema.default === 'string' ? schema.default : JSON.stringify(schema.default)}.` : null;
  const hintText = [schema.description, fallback, required ? 'Required.' : null].filter(Boolean).join(' ');
  const hint = hintText ? h('p', { class: 'hint', id: `${id}-hint` }, hintText) : null;
  if (hint) control.setAttribute('aria-describedby', hint.id);
  if (required) control.setAttribute('aria-required', 'true');
  return h('div', { class: 'field' }, h('label', { for: id }, title, required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null), control, hint);
}

function objectField(schema, title, value, at) {
  const top = at.top === true;
  const required = new Set(schema.required ?? []);
  // A secret of a saved setting (a top-level writeOnly field) is never sent back by the server; left empty, the server
  // keeps the stored one, so it is optional here and says so.
  const kept = name => top && value !== undefined && value !== null && schema.properties[name].writeOnly
    && schema.properties[name].type === 'string' && !(name in value);
  const children = Object.entries(schema.properties).map(([name, property]) => {
    const inner = { pointer: `${at.pointer}/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`, depth: at.depth + 1, fields: at.fields };
    const built = kept(name) ? stringField(property, property.title || name, false, undefined, true)
      : build(property, name, required.has(name), value?.[name], inner);
    if (kept(name)) at.fields.set(inner.pointer, { control: built.control, title: property.title || name });
    return { name, built };
  });
  const element = top
    ? h('div', { class: 'schema-form' }, children.map(child => child.built.element))
    : h('fieldset', {}, h('legend', {}, title), schema.description ? h('p', { class: 'hint' }, schema.description) : null,
      children.map(child => child.built.element));
  const byName = new Map(children.map(child => [child.name, child]));
  const requiredNow = conditionallyRequired(schema, byName, name => required.has(name) || kept(name), element);
  return {
    element,
    read() {
      const value = {};
      for (const child of children) {
        const childValue = child.built.read();
        if (childValue !== UNSET) value[child.name] = childValue;
        else if (requiredNow().has(child.name) && child.built.control) {
          throw new FormError(child.built.control, `Fill in “${schema.properties[child.name].title || child.name}”.`);
        }
      }
      return Object.keys(value).length || top ? value : UNSET;
    },
  };
}

/**
 * The schema's "if these fields have these values, then those fields are required" rules (if/then at the top or in
 * allOf, tested by const or enum), shown before the form is sent: each field a rule can require says when, and is
 * marked required (the * and aria-required) while the values the rule tests are chosen. Rules of other shapes are left
 * to the server, whose problems are then shown at their field. Returns a function giving the names required now.
 * skip(name): fields never marked (required anyway, or a saved secret the server keeps).
 */
function conditionallyRequired(schema, byName, skip, element) {
  const rules = [schema, ...(schema.allOf ?? [])]
    .filter(part => part.if?.properties && Array.isArray(part.then?.required))
    .map(part => ({
      tests: Object.entries(part.if.properties).map(([name, test]) => ({
        name, allowed: 'const' in test ? [test.const] : Array.isArray(test.enum) ? test.enum : null,
      })),
      required: part.then.required.filter(name => byName.has(name) && !skip(name) && byName.get(name).built.control),
    }))
    .filter(rule => rule.required.length && rule.tests.length && rule.tests.every(test => test.allowed && byName.has(test.name)));
  if (rules.length === 0) return () => new Set();
  const current = name => {
    try {
      const value = byName.get(name).built.read();
      return value === UNSET ? undefined : value;
    } catch {
      return undefined;
    }
  };
  for (const name of new Set(rules.flatMap(rule => rule.required))) {
    const { control } = byName.get(name).built;
    const when = rules.filter(rule => rule.required.includes(name)).map(rule => rule.tests.map(test =>
      `“${schema.properties[test.name].title || test.name}” is ${test.allowed.map(String).join(' or ')}`).join(' and ')).join(', or when ');
    const note = h('p', { class: 'hint required-when', id: uid('when') }, `Required when ${when}.`);
    control.closest('.field')?.append(note);
    control.setAttribute('aria-describedby', [control.getAttribute('aria-describedby'), note.id].filter(Boolean).join(' '));
  }
  const requiredNow = () => new Set(rules.filter(rule => rule.tests.every(test => test.allowed.includes(current(test.name))))
    .flatMap(rule => rule.required));
  const show = () => {
    const now = requiredNow();
    for (const name of new Set(rules.flatMap(rule => rule.required))) {
      const { control } = byName.get(name).built;
      const label = control.labels?.[0];
      const mark = label?.querySelector('.required');
      if (now.has(name)) {
        control.setAttribute('aria-required', 'true');
        if (label && !mark) label.append(h('span', { class: 'required', 'aria-hidden': 'true' }, ' *'));
      } else {
        control.removeAttribute('aria-required');
        mark?.remove();
      }
    }
  };
  element.addEventListener('change', show);
  element.addEventListener('input', show);
  show();
  return requiredNow;
}

function enumField(schema, title, required, start) {
  const select = h('select', {},
    h('option', { value: '' }, required ? 'Choose…' : 'Not set'),
    schema.enum.map((value, index) => h('option', {
      value: String(index), selected: start !== undefined && start === value,
    }, String(value))));
  return {
    element: wrap(title, select, schema, required),
    control: select,
    read() {
      if (select.value === '') {
        if (required) throw new FormError(select, `Choose a value for “${title}”.`);
        return UNSET;
      }
      return schema.enum[Number(select.value)];
    },
  };
}

function stringField(schema, title, required, start, kept = false) {
  const secret = schema.writeOnly || schema.format === 'password';
  // Encoded content (a certificate, a profile) and long texts get room to paste into.
  const long = !secret && (schema.contentEncoding !== undefined || (schema.maxLength ?? 0) > 1000);
  const input = long
    ? h('textarea', { rows: 4, maxlength: schema.maxLength })
    : h('input', {
      type: secret ? 'password' : schema.format === 'uri' ? 'url' : schema.format === 'email' ? 'email' : 'text',
      autocomplete: secret ? 'new-password' : 'off',
      maxlength: schema.maxLength, minlength: schema.minLength, pattern: schema.pattern,
      placeholder: kept ? 'Unchanged — type to replace' : null,
    });
  // A secret is never put back in a page, not even a default: the admin types it.
  if (typeof start === 'string' && !secret) input.value = start;
  return {
    element: wrap(title, input, kept ? { ...schema, description: 'Saved and not shown. Leave empty to keep it, or type a new one.' } : schema, required),
    control: input,
    read() {
      if (empty(input, required, title)) return UNSET;
      if (!input.checkValidity()) throw new FormError(input, `“${title}”: ${input.validationMessage}`);
      return input.value;
    },
  };
}

function numberField(schema, title, required, start) {
  const input = h('input', {
    type: 'number', inputmode: schema.type === 'integer' ? 'numeric' : 'decimal',
    min: schema.minimum, max: schema.maximum, step: schema.type === 'integer' ? 1 : 'any',
  });
  if (typeof start === 'number') input.value = String(start);
  return {
    element: wrap(title, input, schema, required),
    control: input,
    read() {
      if (empty(input, required, title)) return UNSET;
      const value = Number(input.value);
      if (!input.checkValidity() || Number.isNaN(value) || (schema.type === 'integer' && !Number.isInteger(value))) {
        const bounds = [schema.minimum !== undefined ? `at least ${schema.minimum}` : null,
          schema.maximum !== undefined ? `at most ${schema.maximum}` : null].filter(Boolean).join(' and ');
        throw new FormError(input, `“${title}” must be ${schema.type === 'integer' ? 'a whole number' : 'a number'}${bounds ? ` ${bounds}` : ''}.`);
      }
      return value;
    },
  };
}

// A boolean with a default is a checkbox. Without one, "not set" differs from "no" (the policy leaves the device's
// own choice alone), so it is a list of three.
function booleanField(schema, title, start) {
  if (typeof schema.default === 'boolean') {
    const box = h('input', { type: 'checkbox', checked: start === true });
    const id = uid('setting');
    box.id = id;
    const hint = schema.description ? h('p', { class: 'hint', id: `${id}-hint` }, schema.description) : null;
    if (hint) box.setAttribute('aria-describedby', hint.id);
    return {
      element: h('div', { class: 'field check' }, box, h('label', { for: id }, title), hint),
      control: box,
      read: () => box.checked,
    };
  }
  const select = h('select', {}, h('option', { value: '' }, 'Not set'), h('option', { value: 'true' }, 'Yes'), h('option', { value: 'false' }, 'No'));
  if (typeof start === 'boolean') select.value = String(start);
  return {
    element: wrap(title, select, schema, false),
    control: select,
    read: () => (select.value === '' ? UNSET : select.value === 'true'),
  };
}

function stringListField(schema, title, required, start) {
  const area = h('textarea', { rows: 3 });
  if (Array.isArray(start)) area.value = start.join('\n');
  const hinted = { ...schema, description: [schema.description, 'One per line.'].filter(Boolean).join(' ') };
  return {
    element: wrap(title, area, hinted, required),
    control: area,
    read() {
      const items = area.value.split('\n').map(line => line.trim()).filter(Boolean);
      if (items.length === 0) {
        if (required) throw new FormError(area, `Add at least one line to “${title}”.`);
        return UNSET;
      }
      if (schema.maxItems !== undefined && items.length > schema.maxItems) {
        throw new FormError(area, `“${title}” takes at most ${schema.maxItems} lines.`);
      }
      return items;
    },
  };
}

function jsonField(schema, title, required, start) {
  const area = h('textarea', { rows: 5, class: 'code', spellcheck: 'false' });
  if (start !== undefined) area.value = JSON.stringify(start, null, 2);
  const hinted = { ...schema, description: [schema.description, 'Written as JSON.'].filter(Boolean).join(' ') };
  return {
    element: wrap(title, area, hinted, required),
    control: area,
    read() {
      if (empty(area, required, title)) return UNSET;
      try {
        return JSON.parse(area.value);
      } catch (error) {
        throw new FormError(area, `“${title}” is not valid JSON: ${error.message}`);
      }
    },
  };
}
