// The smart-group rule editor: conditions on device attributes (docs/policies.md), each of which may be negated,
// combined with "all" or "any". It builds the rule's JSON; the server checks it and says where a mistake is.

import { h, replace, field, uid } from './dom.js';

// The attributes a rule may test, their operators and, where the values are known, the choices offered.
const ATTRIBUTES = [
  { name: 'platform', label: 'Platform', ops: ['eq', 'ne', 'in'], values: ['ios', 'macos', 'android', 'windows', 'chromeos'] },
  { name: 'ownership', label: 'Ownership', ops: ['eq', 'ne'], values: ['corporate', 'personal'] },
  { name: 'status', label: 'Status', ops: ['eq', 'ne', 'in'], values: ['pending', 'enrolled', 'quarantined', 'retired', 'wiped'] },
  { name: 'compliance', label: 'Compliance', ops: ['eq', 'ne', 'in'], values: ['compliant', 'non_compliant', 'in_grace_period', 'unknown'] },
  { name: 'enrollmentMethod', label: 'Enrollment method', ops: ['eq', 'ne'], values: ['link', 'qr_code', 'program', 'manual'] },
  { name: 'model', label: 'Model', ops: ['eq', 'ne', 'in', 'startsWith'] },
  { name: 'serialNumber', label: 'Serial number', ops: ['eq', 'ne', 'in', 'startsWith'] },
  { name: 'name', label: 'Name', ops: ['eq', 'ne', 'startsWith', 'endsWith'] },
  { name: 'osVersion', label: 'OS version', ops: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'] },
  { name: 'tag', label: 'Tag', ops: ['has', 'hasNot'] },
  { name: 'user', label: 'User id', ops: ['eq', 'ne', 'exists'] },
  { name: 'user.email', label: 'User e-mail', ops: ['eq', 'endsWith'] },
  { name: 'user.username', label: 'User name', ops: ['eq', 'in'] },
  { name: 'user.group', label: 'User\'s directory group', ops: ['eq', 'ne', 'in'] },
  { name: 'attribute.', label: 'Custom attribute', ops: ['eq', 'ne', 'in', 'startsWith', 'exists'], custom: true },
];

const OPERATORS = {
  eq: 'is', ne: 'is not', in: 'is one of', startsWith: 'starts with', endsWith: 'ends with', gt: 'is above', gte: 'is at least',
  lt: 'is below', lte: 'is at most', has: 'has', hasNot: 'does not have', exists: 'is set',
};

/** A rule that cannot be sent yet, with the control to fix. */
export class RuleError extends Error {
  constructor(control, text) {
    super(text);
    this.control = control;
  }
}

/** A rule read as words, such as "all of: Platform is ios; not Tag has exempt". */
export function describeRule(rule) {
  if (rule.all || rule.any) return `${rule.all ? 'all' : 'any'} of: ${(rule.all ?? rule.any).map(describeRule).join('; ')}`;
  if (rule.not) return `not ${describeRule(rule.not)}`;
  const known = ATTRIBUTES.find(attribute => attribute.name === rule.attribute);
  const label = known?.label ?? rule.attribute;
  const value = Array.isArray(rule.value) ? rule.value.join(', ') : rule.value;
  return [label, OPERATORS[rule.op] ?? rule.op, value].filter(part => part !== undefined).join(' ');
}

/** A single test, possibly negated, as the editor builds it: {attribute, op, value?} or {not: that}. */
function simpleTest(rule) {
  const test = rule?.not ?? rule;
  return Boolean(test && typeof test.attribute === 'string' && typeof test.op === 'string' && !test.all && !test.any && !test.not
    && (ATTRIBUTES.some(attribute => attribute.name === test.attribute) || test.attribute.startsWith('attribute.'))
    && ATTRIBUTES.find(attribute => attribute.name === test.attribute || (attribute.custom && test.attribute.startsWith('attribute.')))
      .ops.includes(test.op));
}

/** Whether the editor can show a rule: one test, or “all”/“any” of tests each possibly negated (one level). */
export function fitsEditor(rule) {
  if (rule?.all || rule?.any) {
    const tests = rule.all ?? rule.any;
    return Array.isArray(tests) && tests.length > 0 && tests.every(simpleTest);
  }
  return simpleTest(rule);
}

/**
 * Builds the editor, empty or showing a rule that {@link fitsEditor} accepts. onChange is called after every edit.
 * Returns { element, read }: read() gives the rule's JSON, or throws a RuleError naming the control still to fill in.
 */
export function ruleEditor(onChange, initial) {
  const combinator = h('select', { name: 'combinator' },
    h('option', { value: 'all' }, 'all of these conditions'), h('option', { value: 'any' }, 'any of these conditions'));
  const conditions = h('ol', { class: 'conditions' });
  const rows = [];

  const addCondition = test => {
    const row = condition(rows.length + 1, () => {
      rows.splice(rows.indexOf(row), 1);
      row.element.remove();
      renumber();
      addButton.focus();
      onChange();
    }, onChange);
    rows.push(row);
    conditions.append(row.element);
    if (test) {
      row.fill(test);
    } else {
      row.focus();
    }
    onChange();
  };
  const renumber = () => rows.forEach((row, index) => row.number(index + 1));
  const addButton = h('button', { type: 'button', class: 'secondary', onclick: () => addCondition() }, 'Add a condition');
  combinator.addEventListener('change', onChange);
  const legendId = uid('rule');
  const element = h('fieldset', { class: 'rule-editor', 'aria-describedby': legendId },
    h('legend', {}, 'Rule'),
    h('p', { class: 'hint', id: legendId }, 'Devices belong to the group while they match the rule; membership follows them as they change.'),
    field('Devices match when they meet', combinator), conditions, addButton);
  if (initial && fitsEditor(initial)) {
    combinator.value = initial.any ? 'any' : 'all';
    (initial.all ?? initial.any ?? [initial]).forEach(test => addCondition(test));
  } else {
    addCondition();
  }

  return {
    element,
    read() {
      if (rows.length === 0) throw new RuleError(addButton, 'Add at least one condition.');
      return { [combinator.value]: rows.map(row => row.read()) };
    },
  };
}

function condition(initialNumber, remove, onChange) {
  const attribute = h('select', { name: 'attribute' }, ATTRIBUTES.map(candidate => h('option', { value: candidate.name }, candidate.label)));
  const custom = h('input', { name: 'attributeName', maxlength: 200 });
  const operator = h('select', { name: 'op' });
  const value = h('input', { name: 'value', maxlength: 1000 });
  const choices = h('datalist', { id: uid('values') });
  value.setAttribute('list', choices.id);
  const negate = h('input', { type: 'checkbox', name: 'not', id: uid() });
  const customField = field('', custom, 'The attribute’s name, as a plugin or the API set it.');
  const valueField = field('', value);
  const hint = h('p', { class: 'hint', id: uid('value-hint') });
  value.setAttribute('aria-describedby', hint.id);
  valueField.append(hint);
  const negateField = h('div', { class: 'field check' }, negate, h('label', { for: negate.id }));
  const removeButton = h('button', { type: 'button', class: 'link', onclick: remove }, 'Remove');
  const element = h('li', { class: 'condition' }, field('', attribute), customField, field('', operator), valueField, negateField, removeButton);

  const labels = number => {
    const set = (control, text) => { element.querySelector(`label[for="${control.id}"]`).textContent = text; };
    set(attribute, `Condition ${number}: attribute`);
    set(custom, `Condition ${number}: attribute name`);
    set(operator, `Condition ${number}: test`);
    set(value, `Condition ${number}: value`);
    set(negate, `Condition ${number}: negate (devices that do not meet it)`);
    removeButton.setAttribute('aria-label', `Remove condition ${number}`);
  };
  const chosen = () => ATTRIBUTES.find(candidate => candidate.name === attribute.value);
  const showAttribute = () => {
    const spec = chosen();
    const previous = operator.value;
    replace(operator, spec.ops.map(op => h('option', { value: op, selected: op === previous }, OPERATORS[op])));
    replace(choices, (spec.values ?? []).map(choice => h('option', { value: choice })));
    customField.hidden = !spec.custom;
    showOperator();
  };
  const showOperator = () => {
    valueField.hidden = operator.value === 'exists';
    const known = chosen().values ? `Such as ${chosen().values.join(', ')}.` : '';
    hint.textContent = operator.value === 'in' ? `Separate values with commas. ${known}` : known;
  };
  attribute.addEventListener('change', () => { showAttribute(); onChange(); });
  operator.addEventListener('change', () => { showOperator(); onChange(); });
  for (const control of [custom, value, negate]) control.addEventListener('input', onChange);
  element.append(choices);
  labels(initialNumber);
  showAttribute();

  return {
    element,
    number: labels,
    focus: () => attribute.focus(),
    /** Shows a test ({attribute, op, value?} or {not: that}). */
    fill(rule) {
      const test = rule.not ?? rule;
      const isCustom = test.attribute.startsWith('attribute.') && !ATTRIBUTES.some(candidate => candidate.name === test.attribute);
      attribute.value = isCustom ? 'attribute.' : test.attribute;
      if (isCustom) custom.value = test.attribute.slice('attribute.'.length);
      showAttribute();
      operator.value = test.op;
      showOperator();
      value.value = Array.isArray(test.value) ? test.value.join(', ') : test.value ?? '';
      negate.checked = Boolean(rule.not);
    },
    read() {
      const spec = chosen();
      let name = spec.name;
      if (spec.custom) {
        if (!custom.value.trim()) throw new RuleError(custom, 'Name the custom attribute, or remove the condition.');
        name = `attribute.${custom.value.trim()}`;
      }
      const test = { attribute: name, op: operator.value };
      if (operator.value !== 'exists') {
        if (!value.value.trim()) throw new RuleError(value, 'Fill in the value of each condition, or remove the condition.');
        test.value = operator.value === 'in'
          ? value.value.split(',').map(part => part.trim()).filter(Boolean) : value.value.trim();
      }
      return negate.checked ? { not: test } : test;
    },
  };
}
