import * as dom from '../dom.js';
import { h, replace, message, empty, heading } from '../dom.js';

// What a plugin's page module is given (documented on dev.shepherd.api.console.ConsolePage): the console's own DOM
// helpers, so the page looks and behaves like the rest of the console without importing console files by path.
const UI = Object.freeze({
  h: dom.h, replace: dom.replace, heading: dom.heading, field: dom.field, message: dom.message, empty: dom.empty,
  table: dom.table, when: dom.when, words: dom.words, blank: dom.blank, confirmAction: dom.confirmAction,
  removeButton: dom.removeButton, announce: dom.announce, uid: dom.uid,
  // The visual system and the forms' way of showing errors, so a plugin's page matches the console's.
  badge: dom.badge, icon: dom.icon, headlines: dom.headlines, fieldError: dom.fieldError, markInvalid: dom.markInvalid,
  showProblems: dom.showProblems,
});

/** The console pages of running plugins the admin's role may open (GET /api/v1/console/pages). */
export async function pluginPages(api) {
  return (await api.get('/api/v1/console/pages')).items;
}

/** A link to a plugin's page, as the plugins page and the dashboard show it. */
export function pluginPageLink(page) {
  return h('a', { href: `#/plugins/${encodeURIComponent(page.plugin)}/${encodeURIComponent(page.id)}`,
    'aria-label': `${page.title} (${page.plugin})` }, page.title);
}

/**
 * A page a plugin contributes, served from its own file: the server lists it only while the plugin runs and only to
 * roles holding its permission; its module is imported from the address the list gives and draws into the page.
 */
export const pluginPage = {
  path: '/plugins/:plugin/:page',
  section: 'Plugins',
  title: 'Plugin page',
  needs: 'API_TOKEN_OWN',
  async render({ api, main, params, stale, navigate }) {
    // The plugin's admin routes come and go with it: the route table is read again so its endpoints may be called.
    const [pages] = await Promise.all([pluginPages(api), api.load()]);
    if (stale()) return;
    const page = pages.find(candidate => candidate.plugin === params.plugin && candidate.id === params.page);
    if (!page) {
      replace(main, heading('Plugin page'), empty(`The plugin “${params.plugin}” has no page “${params.page}” you can open.`,
        'It may be switched off, removed or failed, or your role may not hold what the page needs. ',
        api.can('PLUGIN_READ') ? h('a', { href: '#/plugins' }, 'Check the plugins page.') : null));
      return;
    }
    document.title = `${page.title} · Shepherd`;
    let module;
    try {
      module = await import(page.module);
    } catch (error) {
      if (stale()) return;
      replace(main, heading(page.title), message('error', `The page of the plugin ${page.plugin} ${page.pluginVersion} could not be loaded: ${error.message}`));
      return;
    }
    if (stale()) return;
    if (typeof module.render !== 'function') {
      replace(main, heading(page.title), message('error', `The page of the plugin ${page.plugin} ${page.pluginVersion} exports no render function.`));
      return;
    }
    replace(main, heading(page.title));
    try {
      await module.render({
        api, main, ui: UI, stale, navigate,
        plugin: Object.freeze({ id: page.plugin, version: page.pluginVersion }),
        page: Object.freeze({ id: page.id, title: page.title }),
      });
    } catch (error) {
      if (stale() || !api.me) return;
      replace(main, heading(page.title), message('error', `The page of the plugin ${page.plugin} failed: ${error.message}`));
    }
  },
};
