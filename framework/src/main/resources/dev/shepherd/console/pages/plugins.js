import { h, replace, field, message, blank, empty, table, when, words, heading, confirmAction, announce, showProblems, badge } from '../dom.js';
import { pluginPages, pluginPageLink } from './plugin-page.js';

// How long, and how often, to look for an uploaded file's plugin: the server scans its plugins folder every few seconds.
const UPLOAD_WAIT_MS = 30000;
const UPLOAD_POLL_MS = 1000;

/** Plugins: each file's plugin with its state and failure reason; switching plugins off and on, uploading and removing files. */
export const pluginsPage = {
  path: '/plugins',
  nav: 'Plugins',
  title: 'Plugins',
  needs: 'PLUGIN_READ',
  async render({ api, main, stale }) {
    const plugins = await api.get('/api/v1/plugins');
    const pages = await pluginPages(api);
    const origins = await api.get('/api/v1/console/external-origins');
    if (stale()) return;
    let contributed = pages;
    let added = origins.items;
    const canManage = api.can('PLUGIN_MANAGE');
    const list = h('section', { 'aria-labelledby': 'plugins-title' });
    const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' });
    replace(main, heading('Plugins'),
      h('p', { class: 'lead' }, 'Plugins add platforms, setting types and integrations. Each file in the server’s plugins folder is loaded on its own. A request a plugin fails is that request’s error; a plugin whose calls keep failing is taken out of service for a while and says why. Switching a failed plugin off and on loads it afresh.'));
    if (canManage) main.append(uploadForm(api, feedback, reload, stale));
    main.append(feedback, list);
    draw(plugins.items);

    async function reload() {
      // The list first, then the pages: a plugin listed as started has registered its pages by then (the server
      // registers a plugin's extensions before it lists it), so its row never misses them.
      const current = await api.get('/api/v1/plugins');
      const currentPages = await pluginPages(api);
      contributed = currentPages;
      added = (await api.get('/api/v1/console/external-origins')).items;
      if (!stale()) draw(current.items);
      return current.items;
    }

    function act(label, run) {
      return async () => {
        try {
          await run();
          await reload();
        } catch (error) {
          replace(feedback, message('error', error.message));
        }
        announce(label);
      };
    }

    /** The pages the plugin's running version contributes that this admin may open, as links. */
    function pagesOf(plugin) {
      const own = contributed.filter(page => page.plugin === plugin.id && page.pluginVersion === plugin.version && plugin.state === 'STARTED');
      return own.length ? h('ul', { class: 'plugin-pages', 'aria-label': `Pages of ${plugin.id}` },
        own.map(page => h('li', {}, pluginPageLink(page), page.description ? h('span', { class: 'hint' }, ` — ${page.description}`) : null))) : null;
    }

    /**
     * What the plugin's pages added to the console's Content-Security-Policy: the operator sees every origin outside
     * the server the console may load from, and which plugin asked for it.
     */
    function originsOf(plugin) {
      const own = added.filter(origin => origin.plugin === plugin.id && origin.pluginVersion === plugin.version && plugin.state === 'STARTED');
      return own.length ? h('div', { class: 'plugin-origins' },
        h('p', { class: 'hint' }, 'Adds to the console’s Content-Security-Policy:'),
        h('ul', { class: 'reasons', 'aria-label': `Origins ${plugin.id} adds to the console’s policy` },
          own.map(origin => h('li', {}, h('code', {}, `${origin.directive} ${origin.origin}`), ` (page ${origin.page})`)))) : null;
    }

    function draw(items) {
      replace(list, h('h2', { id: 'plugins-title' }, 'Installed plugins'), items.length
        ? table(`${items.length} plugin file${items.length === 1 ? '' : 's'}`,
          ['Plugin', 'Version', 'File', 'State', 'Since', 'Failure reason', 'Extensions', ''],
          items.map(plugin => [
            h('div', {}, h('strong', {}, plugin.id), plugin.description ? h('p', { class: 'hint' }, plugin.description) : null,
              pagesOf(plugin), originsOf(plugin)),
            plugin.version || '—', plugin.file, badge('plugin', plugin.state),
            when(plugin.since), plugin.retryAt
              ? h('div', {}, plugin.failureReason || '—', h('p', { class: 'hint' }, `Tried again from ${when(plugin.retryAt)}.`))
              : plugin.failureReason || '—',
            plugin.extensions.length
              ? h('details', {}, h('summary', {}, `${plugin.extensions.length} extension${plugin.extensions.length === 1 ? '' : 's'}`),
                h('ul', { class: 'reasons' }, plugin.extensions.map(extension => h('li', {}, extension))))
              : '—',
            canManage ? h('div', { class: 'row-actions' },
              plugin.state === 'DISABLED'
                ? h('button', {
                  type: 'button', class: 'link', 'aria-label': `Switch ${plugin.id} on`,
                  onclick: act(`${plugin.id} switched on`, async () => {
                    await api.post(`/api/v1/plugins/${encodeURIComponent(plugin.id)}/enable`);
                    replace(feedback, message('info', `${plugin.id} is switched on; waiting for the server to load it…`));
                    // It loads at the server's next scan of its plugins folder: follow the list until it is back.
                    const back = await awaitPlugin(reload, stale, item => item.id === plugin.id && item.state !== 'DISABLED');
                    if (!stale()) {
                      replace(feedback, back
                        ? message('info', `${back.id} ${back.version} is ${words(back.state).toLowerCase()}.`)
                        : message('error', `${plugin.id} is switched on but has not loaded within ${UPLOAD_WAIT_MS / 1000} seconds. Check the server’s log.`));
                    }
                  }),
                }, 'Switch on')
                : h('button', {
                  type: 'button', class: 'link', 'aria-label': `Switch ${plugin.id} off`,
                  onclick: async () => {
                    const sure = await confirmAction({ title: `Switch “${plugin.id}” off?`,
                      text: 'It is stopped and unloaded now, and stays off after restarts until it is switched on again. What it provides (a platform, setting types, pages) stops working.',
                      confirm: 'Switch off', danger: true });
                    if (!sure) return;
                    await act(`${plugin.id} switched off`, async () => {
                      await api.post(`/api/v1/plugins/${encodeURIComponent(plugin.id)}/disable`);
                      replace(feedback, message('info', `${plugin.id} is switched off.`));
                    })();
                  },
                }, 'Switch off'),
              h('button', {
                type: 'button', class: 'link', 'aria-label': `Remove the file ${plugin.file}`,
                onclick: async () => {
                  const sure = await confirmAction({ title: `Remove the file “${plugin.file}”?`,
                    text: 'The file is deleted from the plugins folder and its plugin is stopped and unloaded within seconds. Upload it again to bring it back.',
                    confirm: 'Remove file', danger: true });
                  if (!sure) return;
                  await act(`${plugin.file} removed`, async () => {
                    await api.delete(`/api/v1/plugin-files/${encodeURIComponent(plugin.file)}`);
                    replace(feedback, message('info', `${plugin.file} is removed; its plugin stops within seconds.`));
                  })();
                },
              }, 'Remove file')) : '']))
        : empty('No plugin is installed.', canManage
          ? 'Upload a plugin file above, or copy one into the server’s plugins/ folder; it loads within seconds.'
          : 'An administrator can install one.'));
    }
  },
};

/** Follows the plugin list until an entry matches, for as long as a scan of the plugins folder can take; null if none did. */
async function awaitPlugin(reload, stale, matches) {
  const deadline = Date.now() + UPLOAD_WAIT_MS;
  while (Date.now() < deadline && !stale()) {
    await new Promise(resolve => setTimeout(resolve, UPLOAD_POLL_MS));
    const found = (await reload()).find(matches);
    if (found) return found;
  }
  return null;
}

function uploadForm(api, feedback, reload, stale) {
  const file = h('input', { name: 'plugin-file', type: 'file', accept: '.zip,.jar', required: true });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Upload');
  const form = h('form', { class: 'card inline', 'aria-labelledby': 'upload-title' },
    h('h2', { id: 'upload-title' }, 'Upload a plugin'),
    field('Plugin file (.zip or .jar)', file, 'A newer version of an installed plugin replaces it.'),
    submit);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    if (blank(file, feedback, 'Choose a plugin file first.')) return;
    const chosen = file.files[0];
    submit.disabled = true;
    try {
      // A file that replaces one of the same name counts as loaded once its entry changes.
      const before = (await reload()).find(plugin => plugin.file === chosen.name)?.since ?? null;
      replace(feedback, message('info', `Uploading ${chosen.name}…`));
      const uploaded = await api.put(`/api/v1/plugin-files/${encodeURIComponent(chosen.name)}`, chosen);
      // The server loads the file at its next scan: follow the list until the file shows up with its state.
      replace(feedback, message('info', `${uploaded.file} uploaded (${uploaded.bytes} bytes). Waiting for the server to load it…`));
      const loaded = await awaitPlugin(reload, stale, plugin => plugin.file === uploaded.file && plugin.since !== before);
      if (stale()) return;
      replace(feedback, !loaded
        ? message('error', `${uploaded.file} was uploaded but has not loaded within ${UPLOAD_WAIT_MS / 1000} seconds. Check the server’s log.`)
        : loaded.state === 'FAILED'
          ? message('error', `${uploaded.file} was uploaded but its plugin failed: ${loaded.failureReason ?? 'no reason given'}.`)
          : message('info', `${loaded.id} ${loaded.version} is ${words(loaded.state).toLowerCase()}.`));
      form.reset();
    } catch (error) {
      showProblems(form, error, { feedback });
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
