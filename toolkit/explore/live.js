/* The explorer's live charts (toolkit/explore/live.py): each chart is embedded with Vega-Embed once
   per structure, then only its named datasets are replaced in place (view.data, then a run) instead
   of embedding it again. Runs as a widget output (eval'd with `element`); needs window.vegaEmbed.

   window.tkExplorer.embed(element, key, token, spec, options): draw chart `key` (one explorer's chart)
     in `element`; `token` names its structure (a new token replaces the chart's older views).
   window.tkExplorer.update(batch): {key: {token, version, datasets}}, the latest data of each chart;
     a view applies a chart's entry once, when its token is the view's and its version is newer than
     the last it applied (so a view embedded later, e.g. after a page reload, catches up).
   Calls made before this script ran wait in window.tkExplorerQueue. */
(function () {
  'use strict';
  if (window.tkExplorer) return;
  const charts = new Map(); // key -> {token, views: [{ready: Promise<result|null>, applied}]}
  const latest = new Map(); // key -> {token, version, datasets}

  function catchUp(key) {
    const chart = charts.get(key);
    const next = latest.get(key);
    if (!chart || !next || next.token !== chart.token) return;
    for (const view of chart.views) {
      if (view.applied >= next.version) continue;
      view.applied = next.version;
      view.ready = view.ready.then(async (result) => {
        if (!result) return result;
        try {
          for (const [name, rows] of Object.entries(next.datasets)) result.view.data(name, rows);
          await result.view.runAsync();
        } catch (err) {
          console.error('toolkit explorer: chart update failed', err);
        }
        return result;
      });
    }
  }

  window.tkExplorer = {
    embed(element, key, token, spec, options) {
      let chart = charts.get(key);
      if (!chart || chart.token !== token) {
        if (chart) chart.views.forEach((v) => v.ready.then((r) => r && r.finalize()));
        chart = { token, views: [] };
        charts.set(key, chart);
      }
      const box = document.createElement('div');
      element.appendChild(box);
      const ready = window.vegaEmbed(box, spec, options).catch((err) => {
        box.setAttribute('data-tk-error', String(err));
        box.textContent = 'This chart could not be drawn: ' + err;
        return null;
      });
      chart.views.push({ ready, applied: 0 });
      catchUp(key);
    },
    update(batch) {
      for (const [key, next] of Object.entries(batch)) {
        latest.set(key, next);
        catchUp(key);
      }
    },
  };
  (window.tkExplorerQueue || []).splice(0).forEach((call) => call());
})();
