// Stand-in for the gapi.iframes module: getContext().openChild({url, where, attributes}) puts an iframe of url into
// where with the attributes, and the returned iframe's register(name, handler, filter) calls handler with the payload
// of each event of that name the child page sends (the child's own origin only, and only if filter admits the iframe).
// CROSS_ORIGIN_IFRAMES_FILTER admits iframes of another origin than the page's.
(function () {
  function CROSS_ORIGIN_IFRAMES_FILTER(iframe) {
    return iframe.getOrigin() !== window.location.origin;
  }

  function openChild(options) {
    if (!options || typeof options.url !== 'string' || !(options.where instanceof Element)) {
      throw new Error('openChild needs {url, where}');
    }
    const element = document.createElement('iframe');
    for (const [name, value] of Object.entries(options.attributes || {})) element.setAttribute(name, String(value));
    const childOrigin = new URL(options.url).origin;
    const handlers = {};
    const iframe = {
      getOrigin: () => childOrigin,
      getIframeEl: () => element,
      register(name, handler, filter) {
        handlers[name] = { handler, filter };
      },
    };
    window.addEventListener('message', event => {
      if (event.source !== element.contentWindow || event.origin !== childOrigin) return;
      const registered = handlers[event.data && event.data.event];
      if (!registered || (registered.filter && !registered.filter(iframe))) return;
      registered.handler.call(iframe, event.data.payload);
    });
    element.src = options.url;
    options.where.append(element);
    return iframe;
  }

  window.gapi.iframes = { CROSS_ORIGIN_IFRAMES_FILTER, getContext: () => ({ openChild }) };
})();
