// The managed Google Play page of the appstore-google-play plugin, served from the plugin's own file (ConsolePage in
// the plugin API). It shows Google's managed Play iframe as Google documents it for the Android Management API: a web
// token from enterprises.webTokens.create for this console's address (the plugin's endpoint asks Google), Google's
// script (gapi.load('gapi.iframes')), the iframe opened in SELECT mode with gapi.iframes.getContext().openChild, and
// its 'onproductselect' event ({packageName, productId, action: 'selected'}), whose app is added to the store's
// catalog through the plugin's endpoint and synced into the console's catalog. The console admits Google's script
// and the iframe's page because the page declares their origins (ExternalOrigin); the URLs come from the plugin.

const SCRIPT_WAIT_MS = 20000;
const STORE_ID = 'google-play';

export async function render({ api, main, ui, plugin, stale }) {
  const { h, replace, message } = ui;
  const base = `/api/v1/plugins/${encodeURIComponent(plugin.id)}/managed-play`;
  const status = h('div', { class: 'feedback', 'aria-live': 'polite' });
  const frame = h('div', { class: 'managed-play-frame' });
  const added = h('section', { class: 'card', 'aria-labelledby': 'managed-play-added' });
  main.append(
    h('p', { class: 'lead' }, 'Search managed Google Play below. Approve a public app or publish a private one in Google’s '
      + 'frame, then select it: it joins the catalog, ready to be assigned to groups.'),
    status, frame, added);
  const redrawAdded = async () => drawAdded({ api, ui, base, section: added, stale });
  await redrawAdded();
  if (stale()) return;

  replace(status, message('info', 'Asking Google for managed Play…'));
  let token;
  try {
    // Google shows the iframe only in the page it was asked for: this console's own address.
    token = await api.post(`${base}/web-token`, { parentFrameUrl: consoleUrl() });
  } catch (error) {
    if (stale()) return;
    replace(status, message('error', error.status === 409
      ? `Managed Google Play is not set up: ${error.message}`
      : `Google did not hand out a token for managed Play: ${error.message}`));
    return;
  }
  if (stale()) return;

  let gapi;
  try {
    gapi = await loadScript(token.scriptUrl);
  } catch (error) {
    if (stale()) return;
    replace(status, message('error', error.message));
    return;
  }
  if (stale()) return;

  // Google's loader fetches the iframes module from its own origin; one that never calls back is said so.
  const moduleTimer = setTimeout(() => {
    if (!stale()) replace(status, message('error', `Google’s iframe module did not load within ${SCRIPT_WAIT_MS / 1000} seconds.`));
  }, SCRIPT_WAIT_MS);
  gapi.load('gapi.iframes', () => {
    clearTimeout(moduleTimer);
    if (stale()) return;
    replace(status);
    let iframe;
    try {
      iframe = gapi.iframes.getContext().openChild({
        url: token.iframeUrl,
        where: frame,
        // No style attribute: the console's policy blocks inline styles. The frame is sized through CSSOM below.
        attributes: { title: 'Managed Google Play', scrolling: 'yes' },
      });
    } catch (error) {
      replace(status, message('error', `Google’s iframe could not be opened: ${error.message}`));
      return;
    }
    const element = frame.querySelector('iframe');
    if (element) {
      element.style.width = '100%';
      element.style.height = '720px';
      element.style.border = '1px solid var(--line)';
    }
    iframe.register('onproductselect', event => {
      if (event?.action !== 'selected' || typeof event.packageName !== 'string') return;
      addApp({ api, ui, base, status, stale, packageName: event.packageName }).then(redrawAdded);
    }, gapi.iframes.CROSS_ORIGIN_IFRAMES_FILTER);
  });
}

/** The console's address without its route: the page Google is told will embed the iframe. */
function consoleUrl() {
  return `${window.location.origin}${window.location.pathname}`;
}

/**
 * Loads Google's script once and resolves with its gapi. A script the console's policy blocks (the plugin started after
 * this console was loaded) and one the browser cannot fetch are told apart, as their remedies differ.
 */
function loadScript(url) {
  if (window.gapi?.load) return Promise.resolve(window.gapi);
  return new Promise((resolve, reject) => {
    let blocked = false;
    const onViolation = event => {
      if (event.blockedURI && url.startsWith(event.blockedURI)) blocked = true;
    };
    document.addEventListener('securitypolicyviolation', onViolation);
    const script = document.createElement('script');
    const timer = setTimeout(() => fail(`Google’s script (${url}) did not load within ${SCRIPT_WAIT_MS / 1000} seconds.`), SCRIPT_WAIT_MS);
    function done() {
      clearTimeout(timer);
      document.removeEventListener('securitypolicyviolation', onViolation);
    }
    function fail(text) {
      done();
      script.remove();
      reject(new Error(text));
    }
    script.addEventListener('load', () => {
      done();
      if (window.gapi?.load) resolve(window.gapi);
      else reject(new Error(`Google’s script (${url}) loaded but offers no gapi.load.`));
    });
    script.addEventListener('error', () => {
      // The violation event is dispatched before the error event of the element it blocked.
      setTimeout(() => fail(blocked
        ? `The console’s security policy blocked Google’s script (${url}). Reload the console: it admits the plugin’s origins from the next load, so a plugin started since this console was opened needs a reload.`
        : `Google’s script could not be loaded from ${url}. This browser cannot reach it: check the network, a proxy or a filter in between.`), 0);
    });
    script.src = url;
    document.head.append(script);
  });
}

/** The selected app into the store's catalog (Google confirms the enterprise may use it), then into the console's. */
async function addApp({ api, ui, base, status, stale, packageName }) {
  const { h, replace, message } = ui;
  replace(status, message('info', `Adding ${packageName}…`));
  try {
    const app = await api.post(`${base}/apps`, { packageName });
    await api.post(`/api/v1/app-stores/${STORE_ID}/sync`);
    const listed = (await api.get('/api/v1/apps', { storeId: STORE_ID, q: packageName, limit: 10 }))
      .find(candidate => candidate.storeAppId === packageName);
    if (stale()) return;
    replace(status, message('info', `${app.title} (${packageName})${app.version ? ` ${app.version}` : ''} is in the catalog.`),
      listed ? h('p', {}, h('a', { href: `#/apps/${encodeURIComponent(listed.id)}` }, `Open ${app.title} to assign it`)) : null);
  } catch (error) {
    if (!stale()) replace(status, message('error', `${packageName} was not added: ${error.message}`));
  }
}

async function drawAdded({ api, ui, base, section, stale }) {
  const { h, replace, message, empty, table } = ui;
  let apps;
  try {
    apps = (await api.get(`${base}/apps`)).apps;
  } catch (error) {
    if (!stale()) replace(section, h('h2', { id: 'managed-play-added' }, 'Added from managed Google Play'), message('error', error.message));
    return;
  }
  if (stale()) return;
  replace(section, h('h2', { id: 'managed-play-added' }, 'Added from managed Google Play'), apps.length
    ? table(`${apps.length} app${apps.length === 1 ? '' : 's'}`, ['App', 'Package', 'Publisher', 'Version', 'Managed configuration'],
      apps.map(app => [app.title, h('code', {}, app.packageName), app.publisher || '—', app.version || '—',
        app.managedConfiguration ? 'Yes' : 'No']))
    : empty('No app has been added yet.', 'Select one in Google’s frame above.'));
}
