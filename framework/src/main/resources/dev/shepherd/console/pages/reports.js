import { h, replace, field, empty, table, words, heading, headlines } from '../dom.js';

// The charting library (uPlot, from its WebJar) is loaded when the reports page opens, not with the console. It draws
// on a canvas and positions its overlays through the CSSOM, so the console's CSP (no inline styles) holds.
const CHARTS = '/ui/vendor/uplot/';
let library = null;

async function uPlotLibrary() {
  if (!library) {
    if (!document.querySelector(`link[href="${CHARTS}uPlot.min.css"]`)) {
      document.head.append(h('link', { rel: 'stylesheet', href: `${CHARTS}uPlot.min.css` }));
    }
    library = import(`${CHARTS}uPlot.esm.js`).then(module => module.default);
  }
  return library;
}

// Series colours that keep their contrast on light and dark backgrounds alike.
const PALETTE = ['#2f7de1', '#1f9d55', '#e07b24', '#9b59d0', '#d6456f', '#17a2b8', '#8d6e3f', '#6c7a89'];

/** The page's text and line colours, read from the console's stylesheet so the charts follow its light or dark scheme. */
function theme() {
  const style = getComputedStyle(document.getElementById('main') ?? document.documentElement);
  const root = getComputedStyle(document.documentElement);
  const variable = (name, fallback) => root.getPropertyValue(name).trim() || fallback;
  return { ink: style.color || variable('--ink', '#1d2733'), line: variable('--line', '#d5dae0') };
}

const PERIODS = [7, 30, 90, 365];
// Counts are whole numbers, so the y axis steps by whole numbers too.
const WHOLE_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1000000];

/** Reports: the fleet over time, compliance by rule and command success, each a chart with its data table. */
export const reportsPage = {
  path: '/reports',
  nav: 'Reports',
  title: 'Reports',
  needs: 'DEVICE_READ',
  async render({ api, main, params, stale }) {
    const requested = Number(params.query.get('days'));
    const days = PERIODS.includes(requested) ? requested : 30;
    const [fleet, rules, commands, uPlot] = await Promise.all([
      api.get('/api/v1/reports/fleet', { days }),
      api.get('/api/v1/reports/compliance-rules'),
      api.get('/api/v1/reports/command-success', { days }),
      uPlotLibrary()]);
    if (stale()) return;
    const charts = [];
    replace(main, heading('Reports'),
      h('p', { class: 'lead' }, 'The fleet over time (one point per day, recorded by the server; today is counted now), compliance by rule as it '
        + 'is now, and how commands fared. Each chart’s numbers are in the table under it.'),
      atAGlance(),
      periodForm(days),
      section('fleet-title', 'Managed devices', fleetChart()),
      section('platforms-title', 'Devices by platform', breakdownChart('platforms', 'platform')),
      section('os-title', 'Devices by OS version', breakdownChart('osVersions', 'OS version')),
      section('rules-title', 'Compliance by rule, now', rulesChart()),
      section('commands-title', `Command success, last ${days} days`, commandsChart()));
    draw();

    // Redrawn in the new colours when the system switches between light and dark, and to the new width on resize.
    const scheme = matchMedia('(prefers-color-scheme: dark)');
    const redraw = () => {
      if (stale()) {
        scheme.removeEventListener('change', redraw);
        return;
      }
      draw();
    };
    scheme.addEventListener('change', redraw);
    const resize = new ResizeObserver(() => {
      if (stale()) {
        resize.disconnect();
        return;
      }
      for (const chart of charts) chart.plot?.setSize({ width: chart.host.clientWidth, height: 260 });
    });
    for (const chart of charts) resize.observe(chart.host);

    function draw() {
      const colours = theme();
      for (const chart of charts) {
        chart.plot?.destroy();
        chart.plot = chart.data[0].length ? new uPlot({ ...chart.options(colours), width: chart.host.clientWidth || 640, height: 260 }, chart.data, chart.host)
          : null;
      }
    }

    /** Today's managed devices, how many comply, the rules with failing devices, and the commands' success rate over the period. */
    function atAGlance() {
      const today = fleet[fleet.length - 1];
      const compliant = today.compliance.COMPLIANT ?? 0;
      const finished = commands.reduce((sum, success) => sum + success.acknowledged + success.failed + success.expired, 0);
      const acknowledged = commands.reduce((sum, success) => sum + success.acknowledged, 0);
      const failingRules = rules.filter(rule => rule.enabled && rule.failing > 0).length;
      return headlines('The fleet at a glance', [
        { label: 'Managed devices', value: today.managed, href: '#/devices' },
        { label: 'Compliant', value: today.managed ? `${Math.round((compliant / today.managed) * 100)} %` : '—', hint: `${compliant} of ${today.managed}`,
          tone: today.managed && compliant === today.managed ? 'ok' : 'warn' },
        { label: 'Rules with failing devices', value: failingRules, href: '#/compliance', tone: failingRules ? 'danger' : 'ok' },
        { label: `Commands carried out, last ${days} days`, value: finished ? `${Math.round((acknowledged / finished) * 1000) / 10} %` : '—',
          hint: `${acknowledged} of ${finished} that finished` },
      ]);
    }

    function section(id, title, content) {
      return h('section', { class: 'report', 'aria-labelledby': id }, h('h2', { id }, title), content);
    }

    /**
     * A chart's canvas, described for assistive technology, its legend (the series' colours are classes of the
     * console's stylesheet, as inline styles are refused) and its data table in a disclosure.
     */
    function chart({ label, data, options, caption, headers, rows, names }) {
      const host = h('div', { class: 'chart', role: 'img', 'aria-label': `${label}. The numbers are in the data table that follows.` });
      charts.push({ host, data, options, plot: null });
      const legend = h('ul', { class: 'chart-legend', 'aria-hidden': 'true' },
        names.map((name, index) => h('li', {}, h('span', { class: `swatch swatch-${index % PALETTE.length}` }), name)));
      return [data[0].length ? [host, legend] : empty('Nothing to show yet.'),
        h('details', { class: 'chart-data', open: true }, h('summary', {}, 'Data table'), table(caption, headers, rows))];
    }

    function axes(colours, xValues) {
      const axis = { stroke: colours.ink, grid: { stroke: colours.line, width: 1 }, ticks: { stroke: colours.line, width: 1 } };
      return [xValues ? { ...axis, values: xValues, incrs: [1] } : axis, { ...axis, size: 50, incrs: WHOLE_STEPS }];
    }

    function lines(names, colours) {
      return names.map((name, index) => ({ label: name, stroke: PALETTE[index % PALETTE.length], width: 2, points: { show: true, size: 6 } }));
    }

    function timeChart({ label, names, values, caption }) {
      const x = fleet.map(day => Date.parse(`${day.day}T00:00:00Z`) / 1000);
      return chart({
        label, caption, names,
        data: [x, ...values.map(series => series)],
        // Half a day either side, so a single day (a new server's first) is a point in the middle rather than a span of years.
        options: colours => ({ legend: { show: false },
          scales: { x: { time: true, range: [x[0] - 43200, x[x.length - 1] + 43200] }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
          axes: axes(colours), series: [{}, ...lines(names, colours)] }),
        headers: ['Day', ...names],
        rows: fleet.map((day, index) => [day.live ? `${day.day} (today, so far)` : day.day, ...values.map(series => String(series[index]))]),
      });
    }

    function fleetChart() {
      const count = (day, state) => day.compliance[state] ?? 0;
      return timeChart({
        label: 'Line chart of managed and compliant devices per day',
        caption: 'Managed devices per day, and their compliance',
        names: ['Managed', 'Compliant', 'Non-compliant', 'In grace period', 'Not yet judged'],
        values: [fleet.map(day => day.managed), fleet.map(day => count(day, 'COMPLIANT')), fleet.map(day => count(day, 'NON_COMPLIANT')),
          fleet.map(day => count(day, 'IN_GRACE_PERIOD')), fleet.map(day => count(day, 'UNKNOWN'))],
      });
    }

    /** One line per platform or OS version, the most common first (at most eight, the rest summed as "Others"). */
    function breakdownChart(property, noun) {
      const totals = new Map();
      for (const day of fleet) for (const [name, devices] of Object.entries(day[property])) totals.set(name, (totals.get(name) ?? 0) + devices);
      const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([name]) => name);
      const shownNames = ranked.length > 8 ? ranked.slice(0, 7) : ranked;
      const others = ranked.length > 8 ? ranked.slice(7) : [];
      const values = shownNames.map(name => fleet.map(day => day[property][name] ?? 0));
      if (others.length) values.push(fleet.map(day => others.reduce((sum, name) => sum + (day[property][name] ?? 0), 0)));
      const names = [...shownNames, ...(others.length ? ['Others'] : [])];
      if (names.length === 0) return empty('There are no managed devices yet.');
      return timeChart({ label: `Line chart of managed devices per ${noun} per day`, caption: `Managed devices per ${noun} per day`,
        names, values });
    }

    function barChart({ label, caption, categories, series, headers, rows, percent }) {
      return chart({
        label, caption, headers, rows, names: series.map(one => one.name),
        data: [categories.map((_, index) => index), ...series.map(one => one.values)],
        options: colours => ({
          legend: { show: false },
          scales: { x: { time: false, range: () => [-0.5, categories.length - 0.5] }, y: { range: (u, min, max) => [0, percent ? 100 : Math.max(1, max)] } },
          axes: axes(colours, (u, splits) => splits.map(split => (Number.isInteger(split) ? categories[split] ?? '' : ''))),
          series: [{}, ...series.map((one, index) => ({
            label: one.name, fill: PALETTE[index % PALETTE.length], stroke: PALETTE[index % PALETTE.length], width: 0,
            // Two series side by side: the first to the left of its category, the second to the right.
            paths: uPlot.paths.bars({ size: [0.7 / series.length, 60], align: series.length === 1 ? 0 : (index === 0 ? -1 : 1), gap: 2 }),
            points: { show: false },
          }))],
        }),
      });
    }

    function rulesChart() {
      if (rules.length === 0) return empty('There are no compliance rules.', h('a', { href: '#/compliance' }, 'Create one on the compliance page.'));
      return barChart({
        label: 'Bar chart of passing and failing devices per compliance rule',
        caption: 'Managed devices each rule applies to, passing and failing',
        categories: rules.map(rule => rule.name),
        series: [{ name: 'Passing', values: rules.map(rule => rule.passing) }, { name: 'Failing', values: rules.map(rule => rule.failing) }],
        headers: ['Rule', 'Checks', 'Applies to', 'Passing', 'Failing', 'Of those, in grace period', 'Not yet judged', 'On'],
        rows: rules.map(rule => [h('a', { href: '#/compliance' }, rule.name), words(rule.check), String(rule.applicable), String(rule.passing),
          String(rule.failing), String(rule.inGracePeriod), String(rule.notYetEvaluated), rule.enabled ? 'Yes' : 'No (switched off)']),
      });
    }

    function commandsChart() {
      if (commands.length === 0) return empty(`No commands were sent in the last ${days} days.`);
      const rate = success => (success.successRate === null || success.successRate === undefined ? null : Math.round(success.successRate * 1000) / 10);
      return barChart({
        label: 'Bar chart of the success rate of each command type, in percent',
        caption: 'Commands by type: how they ended (the success rate counts acknowledged out of acknowledged, failed and expired)',
        categories: commands.map(success => words(success.commandType)),
        series: [{ name: 'Success rate (%)', values: commands.map(rate) }],
        percent: true,
        headers: ['Command', 'Sent', 'Acknowledged', 'Failed', 'Expired', 'Cancelled', 'Waiting', 'Success rate'],
        rows: commands.map(success => [words(success.commandType), String(success.total), String(success.acknowledged), String(success.failed),
          String(success.expired), String(success.cancelled), String(success.pending), rate(success) === null ? 'None finished yet' : `${rate(success)} %`]),
      });
    }
  },
};

/** The period the fleet and command reports cover, kept in the address. */
function periodForm(days) {
  const period = h('select', { name: 'days' }, PERIODS.map(value => h('option', { value, selected: value === days }, `Last ${value} days`)));
  const form = h('form', { class: 'inline', 'aria-label': 'Report period' }, field('Period', period),
    h('button', { type: 'submit', class: 'secondary' }, 'Show'));
  form.addEventListener('submit', event => {
    event.preventDefault();
    location.hash = `/reports?days=${period.value}`;
  });
  return form;
}
