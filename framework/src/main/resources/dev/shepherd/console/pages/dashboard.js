import { h, replace, empty, table, when, words, heading, message } from '../dom.js';

/** The starting page: what needs attention now, limited to what the admin's role may see. */
export const dashboardPage = {
  path: '/',
  nav: 'Dashboard',
  title: 'Dashboard',
  needs: 'DEVICE_READ',
  async render({ api, main, stale }) {
    const [summary, nonCompliant, recent, plugins] = await Promise.all([
      api.get('/api/v1/devices/summary'),
      api.get('/api/v1/devices', { compliance: 'NON_COMPLIANT', limit: 10 }),
      api.get('/api/v1/devices', { limit: 1 }),
      api.can('PLUGIN_READ') ? api.get('/api/v1/plugins') : Promise.resolve(null),
    ]);
    if (stale()) return;
    const link = device => h('a', { href: `#/devices/${encodeURIComponent(device.id)}` }, device.name || device.serialNumber || device.id);
    replace(main, heading('Dashboard'));
    if (recent.items.length === 0) {
      main.append(empty('No device is enrolled yet.', api.can('ENROLLMENT_WRITE')
        ? h('a', { href: '#/enrollment' }, 'Create an enrollment link to enroll the first one.') : 'Devices appear here once they enroll.'));
    }
    const counts = (caption, label, byKey, filter, show = words) => table(caption, [label, 'Devices'],
      Object.entries(byKey).map(([key, count]) => [h('a', { href: `#/devices?${filter}=${encodeURIComponent(key)}` }, show(key)), String(count)]));
    if (recent.items.length > 0) {
      main.append(h('section', { 'aria-labelledby': 'fleet-title', class: 'fleet' }, h('h2', { id: 'fleet-title' }, 'Fleet'),
        h('p', {}, `${summary.pendingCommands} command${summary.pendingCommands === 1 ? '' : 's'} waiting for their device.`),
        counts('Devices by platform', 'Platform', summary.devicesByPlatform, 'platform', platform => platform),
        counts('Devices by compliance', 'Compliance', summary.devicesByCompliance, 'compliance'),
        counts('Devices by status', 'Status', summary.devicesByStatus, 'status')));
    }
    main.append(h('section', { 'aria-labelledby': 'attention-title' }, h('h2', { id: 'attention-title' }, 'Devices out of compliance'),
      nonCompliant.items.length
        ? [table('Non-compliant devices', ['Device', 'Platform', 'Status', 'Last check-in'],
          nonCompliant.items.map(({ device }) => [link(device), device.platform, words(device.status), when(device.lastCheckIn)])),
        nonCompliant.nextCursor ? h('p', {}, h('a', { href: '#/devices?compliance=NON_COMPLIANT' }, 'See all non-compliant devices')) : null]
        : h('p', {}, 'Every device that has been evaluated complies.')));
    if (plugins) {
      const failed = plugins.items.filter(plugin => plugin.failureReason);
      main.append(h('section', { 'aria-labelledby': 'plugins-title' }, h('h2', { id: 'plugins-title' }, 'Plugins'),
        failed.length ? failed.map(plugin => message('error', `${plugin.id} ${plugin.version}: ${plugin.failureReason}`)) : null,
        plugins.items.length
          ? table('Installed plugins', ['Plugin', 'Version', 'State', 'Since'],
            plugins.items.map(plugin => [plugin.id, plugin.version, words(plugin.state), when(plugin.since)]))
          : empty('No plugin is installed.', 'Copy a plugin file into the server’s plugins/ folder; it loads within seconds.')));
    }
  },
};
