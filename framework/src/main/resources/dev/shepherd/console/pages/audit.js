import { h, replace, field, message, empty, table, when, heading } from '../dom.js';

/** What an entry changed, as short text: the `after` document (or `before`, for removals). */
function change(entry) {
  const text = entry.after ?? entry.before;
  if (!text) return '—';
  return text.length > 160 ? `${text.slice(0, 157)}…` : text;
}

/** The audit log: filtered by actor, action and target, newest first (or oldest first), a page at a time. */
export const auditPage = {
  path: '/audit',
  nav: 'Audit log',
  title: 'Audit log',
  needs: 'AUDIT_READ',
  async render({ api, main, params, stale }) {
    const query = params.query;
    const inputs = {
      actor: h('input', { name: 'actor', value: query.get('actor') ?? '', autocomplete: 'off' }),
      action: h('input', { name: 'action', value: query.get('action') ?? '', autocomplete: 'off', placeholder: 'such as command.issue' }),
      targetType: h('input', { name: 'targetType', value: query.get('targetType') ?? '', autocomplete: 'off', placeholder: 'such as device' }),
      targetId: h('input', { name: 'targetId', value: query.get('targetId') ?? '', autocomplete: 'off' }),
    };
    const order = h('select', { name: 'order' },
      h('option', { value: 'newest' }, 'Newest first'), h('option', { value: 'oldest', selected: query.get('order') === 'oldest' }, 'Oldest first'));
    const results = h('div', { class: 'results', 'aria-live': 'polite' });
    // The export is a download of every matching entry; the browser sends the session cookie, and the server checks
    // audit_read as it does for the page.
    const exportLink = h('a', { class: 'button secondary', href: '/api/v1/audit/export', download: 'shepherd-audit.ndjson' },
      'Export (JSON lines)');
    const verification = h('div', { class: 'feedback' });
    const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
      field('Actor', inputs.actor), field('Action', inputs.action), field('Target type', inputs.targetType), field('Target id', inputs.targetId),
      field('Order', order), h('button', { type: 'submit', class: 'primary' }, 'Filter'));
    replace(main, heading('Audit log', h('button', {
      type: 'button', class: 'secondary',
      onclick: async () => {
        try {
          const result = await api.get('/api/v1/audit/verify');
          replace(verification, message(result.intact ? 'info' : 'error', result.intact
            ? `The hash chain is intact: ${result.verifiedEntries} entries checked.`
            : `The hash chain is broken: ${result.problem ?? 'an entry was altered or removed'}.`));
        } catch (error) {
          replace(verification, message('error', error.message));
        }
      },
    }, 'Verify the chain')),
    h('p', { class: 'lead' }, 'Every change made through Shepherd, with who made it. Entries are chained by hashes, so an altered or removed entry shows.'),
    verification, form, h('p', {}, exportLink), results);

    let rows = [];
    let cursor = null;
    const chosen = () => Object.fromEntries(Object.entries(inputs).map(([name, input]) => [name, input.value.trim()]).filter(([, value]) => value));
    const load = async more => {
      const filters = chosen();
      const exported = new URLSearchParams(Object.entries(filters));
      const shown = new URLSearchParams({ ...filters, ...(order.value === 'oldest' ? { order: 'oldest' } : {}) });
      history.replaceState(null, '', `#/audit${shown.size ? `?${shown}` : ''}`);
      // The export is the archive: always oldest first, the order the hash chain runs in.
      exportLink.setAttribute('href', `/api/v1/audit/export${exported.size ? `?${exported}` : ''}`);
      try {
        const page = await api.get('/api/v1/audit', { ...filters, order: order.value, limit: 100, cursor: more ? cursor : null });
        if (stale()) return;
        rows = more ? rows.concat(page.items) : page.items;
        cursor = page.nextCursor ?? null;
        replace(results, rows.length
          ? [table(`${rows.length} entr${rows.length === 1 ? 'y' : 'ies'}${cursor ? ' shown, more available' : ''}`,
            ['#', 'When', 'Actor', 'Action', 'Target', 'Change'],
            rows.map(entry => [String(entry.seq), when(entry.occurredAt), `${entry.actorId} (${entry.actorKind.toLowerCase()})`,
              entry.action, `${entry.targetType} ${entry.targetId}`, h('code', {}, change(entry))])),
          cursor ? h('button', { type: 'button', class: 'secondary', onclick: () => load(true) }, 'Show more entries') : null]
          : empty(Object.keys(filters).length ? 'No entry matches these filters.' : 'The audit log is empty.',
            Object.keys(filters).length ? 'Clear a filter to see more.' : 'Entries appear as admins make changes.'));
      } catch (error) {
        if (!stale()) replace(results, message('error', error.message));
      }
    };
    order.addEventListener('change', () => load(false));
    form.addEventListener('submit', event => {
      event.preventDefault();
      load(false);
    });
    await load(false);
  },
};
