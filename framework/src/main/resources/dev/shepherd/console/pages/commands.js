import { h, replace, field, message, empty, when, words, heading, confirmAction, confirmTyped, announce, tableWrap, showProblems } from '../dom.js';

// The commands a group can be sent from the console: those that need no parameters. `destructive` ones erase data,
// need the device_wipe permission (the server checks it too) and are confirmed as dangerous.
const COMMANDS = [
  { type: 'LOCK', label: 'Lock', text: 'Each device locks its screen at once; its user unlocks it with the passcode.' },
  { type: 'RESTART', label: 'Restart', text: 'Each device restarts at once; unsaved work on it may be lost.' },
  { type: 'SHUT_DOWN', label: 'Shut down', text: 'Each device shuts down at once; someone has to switch it on again.' },
  { type: 'REFRESH_INVENTORY', label: 'Refresh inventory', text: 'Each device reports its inventory again.' },
  { type: 'LOCATE', label: 'Locate', text: 'Each device reports where it is, where its platform allows it.' },
  { type: 'OS_UPDATE', label: 'Update the operating system', text: 'Each device installs the operating system update it is offered.' },
  { type: 'ENTERPRISE_WIPE', label: 'Enterprise wipe', destructive: true,
    text: 'Everything the organisation put on each device (apps, data, profiles) is removed and the device leaves management. The user’s own data stays.' },
  { type: 'WIPE', label: 'Erase', destructive: true,
    text: 'Every app and all data on each company-owned device are erased and it leaves management; personal devices are left out. This cannot be undone.' },
];

// How long to wait between two looks at a fan-out's progress.
const POLL_MS = 1000;

/** Sending one command to every device of a group: what to send, to which group, confirmed before it goes. */
export const commandsPage = {
  path: '/commands',
  nav: 'Commands',
  title: 'Commands',
  needs: 'DEVICE_ACTION',
  async render({ api, main, params, navigate, stale }) {
    const [groups, batches] = await Promise.all([
      api.can('GROUP_READ') ? api.get('/api/v1/groups') : Promise.resolve([]),
      api.can('COMMAND_READ') ? api.get('/api/v1/command-batches', { limit: HISTORY_PAGE }) : Promise.resolve(null),
    ]);
    if (stale()) return;
    const offered = COMMANDS.filter(command => !command.destructive || api.can('DEVICE_WIPE'));
    replace(main, heading('Commands'),
      h('p', { class: 'lead' }, 'Send one command to every device of a group. Devices get it the next time they check in; each is woken up first where its platform can do that.'));
    const history = batches ? pastFanOuts(api, batches, stale) : null;
    if (groups.length === 0) {
      main.append(empty('There is no group to send a command to.', api.can('GROUP_WRITE')
        ? h('a', { href: '#/groups' }, 'Create a group and add devices to it first.') : 'An operator can create one.'), history);
      return;
    }
    const type = h('select', { name: 'type' }, offered.map(command => h('option', { value: command.type }, command.label)));
    const group = h('select', { name: 'group' }, groups.map(candidate =>
      h('option', { value: candidate.id, selected: candidate.id === params.query.get('group') }, `${candidate.name} (${candidate.members} device${candidate.members === 1 ? '' : 's'})`)));
    const description = h('input', { name: 'description', maxlength: 500, autocomplete: 'off' });
    const feedback = h('div', { class: 'feedback' });
    // The hint under the command says what it does to each device, and follows the choice.
    const typeField = field('Command', type, offered[0].text);
    type.addEventListener('change', () => {
      typeField.querySelector('.hint').textContent = offered.find(command => command.type === type.value).text;
    });
    const form = h('form', { class: 'card', 'aria-labelledby': 'send-title' },
      h('h2', { id: 'send-title' }, 'Send a command to a group'),
      h('div', { class: 'grid' },
        typeField,
        field('Group', group),
        field('Description', description, 'Optional: why it was sent, shown with its progress and in the audit log.')),
      api.can('DEVICE_WIPE') ? null : h('p', { class: 'hint' }, 'Erasing devices needs the device_wipe permission, which your role does not have.'),
      feedback,
      h('button', { type: 'submit', class: 'primary' }, 'Send command'));
    form.addEventListener('submit', async event => {
      event.preventDefault();
      const command = offered.find(candidate => candidate.type === type.value);
      const chosen = groups.find(candidate => candidate.id === group.value);
      const title = `${command.label}: all ${chosen.members} device${chosen.members === 1 ? '' : 's'} of “${chosen.name}”?`;
      const confirm = command.destructive ? `${command.label} ${chosen.members} device${chosen.members === 1 ? '' : 's'}` : 'Send command';
      // Erasing more than one device is confirmed by typing the group's name (see confirmTyped).
      const sure = command.destructive && chosen.members > 1
        ? await confirmTyped({ title, text: command.text, expected: chosen.name, prompt: `Type the group’s name, ${chosen.name}, to confirm`, confirm })
        : await confirmAction({ title, text: command.text, confirm, danger: Boolean(command.destructive) });
      if (!sure) return;
      try {
        const batch = await api.post('/api/v1/command-batches', {
          type: command.type, target: { groupId: chosen.id },
          ...(description.value.trim() ? { description: description.value.trim() } : {}),
        });
        navigate(`/commands/${encodeURIComponent(batch.id)}`);
      } catch (error) {
        showProblems(form, error, { feedback });
      }
    });
    main.append(form, history);
  },
};

// Fan-outs shown at a time in the history.
const HISTORY_PAGE = 20;

/** Past fan-outs, newest first, each linked to its progress; older ones a page at a time. */
function pastFanOuts(api, first, stale) {
  const rows = h('tbody');
  const more = h('button', { type: 'button' }, 'Show older');
  const section = h('section', { 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'Sent to groups'));
  const add = batches => {
    rows.append(...batches.map(batch => h('tr', {},
      h('td', {}, when(batch.createdAt)),
      h('td', {}, h('a', { href: `#/commands/${encodeURIComponent(batch.id)}` }, words(batch.type))),
      h('td', {}, batch.description || '—'),
      h('td', {}, batch.createdBy),
      h('td', {}, `${count(batch, ...ENDED)} of ${batch.total} answered`),
      h('td', {}, batch.state === 'CANCELLED' ? 'Cancelled' : count(batch, ...ENDED) >= batch.total ? 'Finished' : 'In progress'))));
    more.hidden = batches.length < HISTORY_PAGE;
    more.dataset.before = batches.at(-1)?.id ?? '';
  };
  more.addEventListener('click', async () => {
    try {
      const older = await api.get('/api/v1/command-batches', { limit: HISTORY_PAGE, before: more.dataset.before });
      if (!stale()) add(older);
    } catch (error) {
      section.append(message('error', error.message));
    }
  });
  if (first.length === 0) {
    section.append(h('p', {}, 'No command has been sent to a group yet.'));
    return section;
  }
  section.append(tableWrap(h('table', {}, h('caption', {}, 'Fan-outs, newest first'),
    h('thead', {}, h('tr', {}, ['Sent', 'Command', 'Description', 'By', 'Progress', 'State'].map(name => h('th', { scope: 'col' }, name)))),
    rows)), more);
  add(first);
  return section;
}

// The states of a fan-out's commands, in the order a command goes through them.
const ENDED = ['ACKNOWLEDGED', 'FAILED', 'EXPIRED', 'CANCELLED'];

function count(batch, ...states) {
  return states.reduce((sum, state) => sum + (batch.states?.[state] ?? 0), 0);
}

/** One fan-out's progress, followed live until every device has answered, and its cancellation. */
export const commandBatchPage = {
  path: '/commands/:id',
  section: 'Commands',
  title: 'Command progress',
  needs: 'COMMAND_READ',
  async render({ api, main, params, stale }) {
    const base = `/api/v1/command-batches/${encodeURIComponent(params.id)}`;
    let batch = await api.get(base);
    if (stale()) return;
    const progress = h('section', { 'aria-labelledby': 'progress-title' });
    const feedback = h('div', { class: 'feedback' });
    const controls = h('div', { class: 'actions' });
    const cancel = api.allows('POST', `${base}/cancel`) ? h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        const sure = await confirmAction({ title: 'Cancel this command?',
          text: 'Devices that have not fetched it yet never get it. Devices that already have it may still carry it out.',
          confirm: 'Cancel command', danger: true });
        if (!sure) return;
        try {
          batch = await api.post(`${base}/cancel`);
          replace(feedback, message('info', 'Cancelled. Devices that had not fetched it will not get it.'));
          draw();
          main.querySelector('h1').focus();
        } catch (error) {
          replace(feedback, message('error', error.message));
        }
      },
    }, 'Cancel command') : null;
    replace(main,
      heading(`${words(batch.type)}: ${batch.description}`,
        api.can(commandsPage.needs) ? h('a', { href: '#/commands', class: 'back' }, 'Send another command') : null),
      h('p', { class: 'hint' }, `Sent by ${batch.createdBy} on ${when(batch.createdAt)}.${batch.expiresAt ? ` Expires ${when(batch.expiresAt)}.` : ''}`),
      controls, feedback, progress);

    const finished = () => batch.total === 0 || count(batch, ...ENDED) >= batch.total;
    function draw() {
      const ended = count(batch, ...ENDED);
      const delivered = count(batch, 'SENT', 'NOT_NOW', 'ACKNOWLEDGED', 'FAILED');
      const figures = [
        ['Devices', batch.total],
        // Told apart, so "pushed" never counts a device nothing could reach.
        ['Pushed', batch.pushed],
        ['Waiting for enrollment (never enrolled)', batch.awaitingEnrollment ?? 0],
        ['Unreachable (no push channel; gets it at its next check-in)', batch.unreachable ?? 0],
        ['Delivered', delivered],
        ['Acknowledged', count(batch, 'ACKNOWLEDGED')],
        ['Failed', count(batch, 'FAILED')],
        ['Deferred by the device', count(batch, 'NOT_NOW')],
        ['Waiting for the device', count(batch, 'QUEUED')],
        ['Expired or cancelled', count(batch, 'EXPIRED', 'CANCELLED')],
      ];
      // Cancelling is offered while some device has not fetched the command yet.
      replace(controls, cancel && !finished() && batch.state !== 'CANCELLED' ? cancel : null);
      replace(progress, h('h2', { id: 'progress-title' }, 'Progress'),
        batch.total === 0
          ? empty('The group had no device this command could be sent to.', 'Retired and wiped devices are left out, and personal devices for an erase.')
          : [h('div', { class: 'field' },
            h('label', { for: 'batch-progress' }, `${ended} of ${batch.total} device${batch.total === 1 ? '' : 's'} finished`),
            h('progress', { id: 'batch-progress', max: batch.total, value: ended })),
          h('dl', { class: 'facts', id: 'batch-figures' }, figures.map(([term, value]) => [h('dt', {}, term), h('dd', {}, String(value))])),
          h('p', { class: 'hint' }, finished()
            ? 'Finished: every device has answered, or the command ended for it.'
            : batch.state === 'CANCELLED' ? 'Cancelled; waiting for the devices that already had it.' : 'Updating every second while devices answer.')]);
    }
    draw();
    // Followed in the background, so the page is ready (and its heading focused) at once.
    follow();

    async function follow() {
      while (!finished() && !stale()) {
        await new Promise(resolve => setTimeout(resolve, POLL_MS));
        if (stale()) return;
        try {
          batch = await api.get(base);
        } catch (error) {
          if (!stale()) replace(feedback, message('error', `${error.message} The progress shown may be out of date; reload to try again.`));
          return;
        }
        if (stale()) return;
        draw();
      }
      if (!stale()) announce(`Command finished: ${count(batch, 'ACKNOWLEDGED')} acknowledged, ${count(batch, 'FAILED')} failed.`);
    }
  },
};
