/* The toolkit report's charts: draw every `.tk-chart` placeholder with vegaEmbed, fitted to its column.

   A chart is drawn as designed. If it is wider than its column (a phone, a narrow window, a printed
   page), it is drawn again, fitted: a single or layered chart takes the column's width (Vega-Lite's
   "container" width, axes and legends included), a concatenation narrows its views; in a column
   narrower than NARROW px every legend goes below its chart (its labels cut, with an ellipsis, where
   they would pass the chart's edge) and axis labels take at most AXIS_SHARE of the width; titles and
   captions are wrapped to the width. When the column's width changes (a window resized or turned),
   every chart is drawn again.
   Each placeholder says where it is: data-tk-state="drawing", then "done" (or data-tk-error), and
   data-tk-width the column width it was fitted to (a new width means a refit is due).

   Defines window.toolkitRenderCharts(embedOptions) once; it draws the placeholders not drawn yet. */
(function () {
  'use strict';
  if (window.toolkitRenderCharts) return;

  var NARROW = 560; /* px: a column narrower than this gets legends below the charts */
  var AXIS_SHARE = 0.45; /* of a narrow column: the most the labels of a y axis may take */
  var COMPOSITE = ['hconcat', 'vconcat', 'concat', 'facet', 'repeat'];
  var charts = [];
  var options = {};
  var measure = document.createElement('canvas').getContext('2d');

  function copy(value) { return JSON.parse(JSON.stringify(value)); }
  function composite(spec) { return COMPOSITE.some(function (k) { return k in spec; }); }
  function column(chart) { return chart.el.parentElement.clientWidth; }

  /* Lines of `text` no wider than `width` px in `font` (a word longer than a line keeps its line). */
  function wrap(lines, font, width) {
    measure.font = font;
    var out = [];
    [].concat(lines).forEach(function (text) {
      var line = '';
      String(text).split(/\s+/).forEach(function (word) {
        var next = line ? line + ' ' + word : word;
        if (line && measure.measureText(next).width > width) { out.push(line); line = word; }
        else { line = next; }
      });
      out.push(line);
    });
    return out;
  }

  /* Caption lines wrapped for the designed width, joined back into their sentences (a line that
     does not end one continues on the next), so a narrower column does not get ragged halves. */
  function reflow(lines) {
    var out = [];
    [].concat(lines).forEach(function (line) {
      var text = String(line);
      var last = out.length ? out[out.length - 1] : null;
      if (last !== null && last && text && !/[.!?:]$/.test(last)) out[out.length - 1] = last + ' ' + text;
      else out.push(text);
    });
    return out;
  }

  function fitTitle(spec, width) {
    var title = spec.title;
    if (!title) return;
    if (typeof title === 'string' || Array.isArray(title)) title = spec.title = {text: title};
    var config = spec.config || {};
    var look = config.title || {};
    var family = title.font || look.font || config.font || 'sans-serif';
    var bold = (title.fontWeight || look.fontWeight || 'bold') + ' ';
    title.text = wrap(title.text, bold + (title.fontSize || look.fontSize || 13) + 'px ' + family, width);
    if (title.subtitle) {
      var size = title.subtitleFontSize || look.subtitleFontSize || 11;
      title.subtitle = wrap(reflow(title.subtitle), size + 'px ' + family, width);
    }
  }

  /* Calls visit(object, key, parent) for every object under `node` (the spec's own legends, axes). */
  function walk(node, visit, key, parent) {
    if (Array.isArray(node)) { node.forEach(function (n) { walk(n, visit, key, parent); }); return; }
    if (!node || typeof node !== 'object') return;
    visit(node, key, parent);
    Object.keys(node).forEach(function (k) { walk(node[k], visit, k, node); });
  }

  function isEncoding(key) { return key === 'y' || key === 'y2'; }

  /* Narrow: every legend below its chart, one entry a line; y-axis labels at most AXIS_SHARE. */
  function narrow(s, width) {
    var legendLimit = Math.max(60, width - 100);
    var axisLimit = Math.round(width * AXIS_SHARE);
    /* several legends below a chart: one under the other, each starting at the left edge (side by
       side, they would share the column's width and cut their labels) */
    s.config.legend = Object.assign({}, s.config.legend,
      {orient: 'bottom', direction: 'vertical', labelLimit: legendLimit,
       layout: {bottom: {anchor: 'start', direction: 'vertical', margin: 10}}});
    s.config.axisY = Object.assign({}, s.config.axisY, {labelLimit: axisLimit});
    s.config.axisX = Object.assign({}, s.config.axisX, {titleLimit: width - axisLimit - 20});
    walk(s, function (node, key, parent) {
      if (key === 'legend' && parent !== s.config) {
        node.orient = 'bottom';
        node.direction = 'vertical';
        delete node.columns;
        node.labelLimit = Math.min(node.labelLimit || legendLimit, legendLimit);
      } else if (key === 'axis' && parent && isEncoding(parent.__key)) {
        node.labelLimit = Math.min(node.labelLimit || axisLimit, axisLimit);
      }
    });
  }

  /* Mark every encoding channel with its name, so `narrow` can tell a y axis from an x axis. */
  function nameChannels(s) {
    walk(s, function (node, key) {
      if (key === 'encoding') {
        Object.keys(node).forEach(function (channel) {
          var def = node[channel];
          if (def && typeof def === 'object' && !Array.isArray(def)) {
            Object.defineProperty(def, '__key', {value: channel, enumerable: false});
          }
        });
      }
    });
  }

  /* Every legend's labels `by` px shorter (they passed the chart's edge). */
  function shorterLegends(spec, by) {
    var s = copy(spec);
    var limit = Math.max(40, ((s.config.legend || {}).labelLimit || 260) - by - 4);
    s.config.legend = Object.assign({}, s.config.legend, {labelLimit: limit});
    walk(s, function (node, key, parent) {
      if (key === 'legend' && parent !== s.config) node.labelLimit = limit;
    });
    return s;
  }

  function fitted(spec, width) {
    var s = copy(spec);
    s.config = s.config || {};
    if (width < NARROW) {
      nameChannels(s);
      narrow(s, width);
    }
    if (!composite(s)) {
      s.width = 'container';
      s.autosize = {type: 'fit-x', contains: 'padding'};
    }
    var padding = typeof s.config.padding === 'number' ? s.config.padding : 5;
    fitTitle(s, width - 2 * padding);
    return s;
  }

  /* A concatenation's views narrowed by `by` px (each, or a share of it side by side). */
  function narrowed(spec, by) {
    var s = copy(spec);
    var parts = s.hconcat || s.concat || null;
    var views = s.vconcat || parts || [];
    var each = Math.ceil(parts ? by / Math.max(1, parts.length) : by);
    views.forEach(function (view) {
      if (typeof view.width === 'number') view.width = Math.max(40, view.width - each);
    });
    return s;
  }

  /* The room vega-embed keeps beside a chart for its action menu (none in print). */
  function actions(chart) {
    return parseFloat(window.getComputedStyle(chart.el).paddingRight) || 0;
  }

  /* How many px the chart as drawn (its own size, whatever CSS does to it) is wider than its column. */
  function excess(chart) {
    var view = chart.result && chart.result.view;
    var g = chart.el.querySelector('svg.marks, canvas.marks');
    if (!view || !g) return 0;
    var width = parseFloat(g.getAttribute('width')) || g.getBoundingClientRect().width;
    if (g.tagName.toLowerCase() === 'canvas') width /= window.devicePixelRatio || 1;
    return Math.max(0, Math.ceil(width + actions(chart) - column(chart)));
  }

  /* How many px the chart's legends pass the right edge of its graphic (cut off there). */
  function legendExcess(chart) {
    var g = chart.el.querySelector('svg.marks');
    if (!g) return 0;
    var edge = g.getBoundingClientRect().right;
    var over = 0;
    g.querySelectorAll('.role-legend').forEach(function (legend) {
      over = Math.max(over, legend.getBoundingClientRect().right - edge);
    });
    return Math.ceil(over);
  }

  function embed(chart, spec) {
    if (chart.result) { chart.result.finalize(); chart.result = null; }
    return window.vegaEmbed(chart.el, spec, options).then(function (result) {
      chart.result = result;
      chart.drawn = spec;
    });
  }

  function draw(chart) {
    var run = (chart.run || 0) + 1;
    chart.run = run;
    chart.width = column(chart);
    chart.el.setAttribute('data-tk-width', String(chart.width));
    chart.el.setAttribute('data-tk-state', 'drawing');
    chart.el.classList.remove('tk-fit');
    function current() { return chart.run === run; }
    return embed(chart, copy(chart.spec)).then(function () {
      if (!current() || excess(chart) === 0) return null;
      chart.el.classList.add('tk-fit');
      var room = column(chart) - actions(chart);
      var tries = 0;
      function again() {
        if (!current() || tries >= 4) return null;
        var spec = chart.drawn;
        var over = excess(chart);
        var legends = legendExcess(chart);
        if (over > 0 && composite(spec)) spec = narrowed(spec, over);
        if (legends > 0) spec = shorterLegends(spec, legends);
        if (spec === chart.drawn) return null;
        tries += 1;
        return embed(chart, spec).then(again);
      }
      return embed(chart, fitted(chart.spec, room)).then(again);
    }).then(function () {
      if (current()) chart.el.setAttribute('data-tk-state', 'done');
    }, function (error) {
      chart.el.setAttribute('data-tk-error', String(error));
      chart.el.setAttribute('data-tk-state', 'done');
      chart.el.textContent = 'Chart could not be drawn: ' + error;
      console.error(error);
    });
  }

  var pending = null;
  function refit() {
    clearTimeout(pending);
    pending = setTimeout(function () {
      charts.forEach(function (chart) {
        if (!chart.el.hasAttribute('data-tk-error') && column(chart) !== chart.width) draw(chart);
      });
    }, 150);
  }

  window.toolkitRenderCharts = function (embedOptions) {
    options = embedOptions || {};
    document.querySelectorAll('.tk-chart:not([data-tk-state])').forEach(function (el) {
      var source = document.getElementById(el.getAttribute('data-tk-spec'));
      if (!source) return;
      var chart = {el: el, spec: JSON.parse(source.textContent)};
      charts.push(chart);
      draw(chart);
    });
  };
  window.addEventListener('resize', refit);
}());
