// Stand-in for Google's https://apis.google.com/js/api.js in Shepherd's tests, offering exactly what Google's managed
// Play iframe guide uses: gapi.load('gapi.iframes', callback), which loads the module from this script's own origin
// (as Google's loader does) and then calls back.
(function () {
  const origin = new URL(document.currentScript.src).origin;
  window.gapi = window.gapi || {};
  window.gapi.load = function (name, callback) {
    if (name !== 'gapi.iframes') throw new Error('this stand-in offers gapi.iframes only, not ' + name);
    if (window.gapi.iframes) {
      setTimeout(callback, 0);
      return;
    }
    const script = document.createElement('script');
    script.src = origin + '/js/gapi.iframes.js';
    script.addEventListener('load', () => callback());
    document.head.append(script);
  };
})();
