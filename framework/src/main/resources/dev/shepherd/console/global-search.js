import { h, replace, words, announce } from './dom.js';

// What each kind of result is called and where it opens; the server answers only the kinds the admin may read.
const KINDS = [
  { key: 'devices', label: 'Device', href: hit => `#/devices/${encodeURIComponent(hit.id)}`,
    text: hit => [hit.name || hit.serialNumber, hit.serialNumber, words(hit.status), words(hit.compliance)].filter(Boolean).join(' · ') },
  { key: 'people', label: 'Person', href: hit => `#/users/${encodeURIComponent(hit.id)}`,
    text: hit => [hit.displayName || hit.username, hit.email].filter(Boolean).join(' · ') },
  { key: 'groups', label: 'Group', href: hit => `#/groups/${encodeURIComponent(hit.id)}`,
    text: hit => `${hit.name} · ${hit.members} device${hit.members === 1 ? '' : 's'}` },
  { key: 'policies', label: 'Policy', href: hit => `#/policies/${encodeURIComponent(hit.id)}`, text: hit => hit.name },
  { key: 'apps', label: 'App', href: hit => `#/apps/${encodeURIComponent(hit.id)}`, text: hit => [hit.name, hit.publisher].filter(Boolean).join(' · ') },
];

/**
 * The search box in the header: one GET /api/v1/search as the admin types, its answers in a list under the box.
 * Follows the WAI-ARIA combobox pattern (list popup): arrows move through the answers (aria-activedescendant, so
 * focus stays in the box), Enter opens the highlighted one, Escape closes the list, then clears the box.
 * Mounted once into the header's slot for it; returns the element, or null for an admin whose role cannot search.
 */
export function mountGlobalSearch(api, slot) {
  const existing = slot.querySelector('.global-search');
  const allowed = api.allows('GET', '/api/v1/search');
  if (existing && allowed) return existing;
  existing?.remove(); // signed in again as an admin whose role cannot search
  if (!allowed) return null;
  const input = h('input', {
    type: 'search', id: 'global-search', name: 'global-search', role: 'combobox', autocomplete: 'off', maxlength: 100,
    'aria-autocomplete': 'list', 'aria-expanded': 'false', 'aria-controls': 'global-search-results', placeholder: 'Search devices, people, groups…',
  });
  const list = h('ul', { id: 'global-search-results', role: 'listbox', 'aria-label': 'Search results', hidden: true });
  const element = h('div', { class: 'global-search', role: 'search' },
    h('label', { for: 'global-search', class: 'visually-hidden' }, 'Search everything'), input, list);
  let options = [];
  let active = -1;
  let asked = 0;
  let timer = null;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };
  const highlight = index => {
    options.forEach((option, at) => option.setAttribute('aria-selected', at === index ? 'true' : 'false'));
    active = index;
    if (index >= 0) {
      input.setAttribute('aria-activedescendant', options[index].id);
      options[index].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };
  const open = option => {
    close();
    input.value = '';
    location.hash = option.dataset.href.slice(1);
  };

  const search = async () => {
    const text = input.value.trim();
    asked += 1;
    const mine = asked;
    if (!text) {
      close();
      return;
    }
    try {
      const found = await api.get('/api/v1/search', { q: text });
      if (mine !== asked) return;
      options = [];
      const items = [];
      for (const kind of KINDS) {
        for (const hit of found[kind.key] ?? []) {
          const option = h('li', { role: 'option', id: `global-search-option-${options.length}`, 'aria-selected': 'false',
            dataset: { href: kind.href(hit) } }, h('span', { class: 'kind' }, kind.label), ' ', kind.text(hit));
          option.addEventListener('mousedown', event => event.preventDefault()); // keeps focus in the box
          option.addEventListener('click', () => open(option));
          options.push(option);
          items.push(option);
        }
      }
      replace(list, items.length ? items : h('li', { class: 'none', role: 'option', 'aria-disabled': 'true', id: 'global-search-none' }, `Nothing matches “${text}”.`));
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
      highlight(-1);
      announce(`${options.length} result${options.length === 1 ? '' : 's'}`);
    } catch (error) {
      if (mine !== asked) return;
      options = [];
      replace(list, h('li', { class: 'none', role: 'option', 'aria-disabled': 'true', id: 'global-search-none' }, error.message));
      list.hidden = false;
      input.setAttribute('aria-expanded', 'true');
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener('keydown', event => {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (list.hidden) {
        search();
        return;
      }
      if (options.length === 0) return;
      const step = event.key === 'ArrowDown' ? 1 : -1;
      highlight((active + step + options.length) % options.length);
    } else if (event.key === 'Enter') {
      event.preventDefault();
      if (active >= 0) open(options[active]);
      else if (options.length) open(options[0]);
    } else if (event.key === 'Escape') {
      if (!list.hidden) close();
      else input.value = '';
    }
  });
  input.addEventListener('blur', () => close());
  slot.append(element);
  return element;
}
