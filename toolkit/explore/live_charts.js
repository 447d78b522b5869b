// The explorer's charts, drawn once and then updated in place (toolkit.explore.live_charts).
// Appended to vl-convert's offline bundle, which defines window.vegaEmbed.
// Model state: `names` (the charts, in order), `specs` (name -> Vega-Lite spec without its run
// datasets), `data` (name -> {dataset name -> rows}), `embed_options`. A chart whose spec changed is
// embedded again; a chart whose spec is the same and whose data changed gets its datasets replaced in
// its live Vega view (remove all rows, insert the new ones, run), with no new view, no new SVG root.
// With `reembed` (for comparison) a chart whose data changed is embedded afresh instead.
// Every draw sets data-tk-draws / data-tk-updates on the chart's element (for tests and benchmarks).

function tkSpecWith(model, name) {
    const spec = structuredClone(model.get("specs")[name]);
    const data = model.get("data")[name] ?? {};
    spec.datasets = { ...(spec.datasets ?? {}), ...structuredClone(data) };
    return spec;
}

function tkCount(el, attribute) {
    el.setAttribute(attribute, String(Number(el.getAttribute(attribute) ?? "0") + 1));
}

async function tkRender({ model, el }) {
    const charts = {}; // name -> {el, view, finalize, specText, dataText}
    el.classList.add("tk-live-charts");

    function elementFor(name) {
        if (!charts[name]) {
            const box = document.createElement("div"); // as the Output widget was
            box.className = `tk-chart-${name} tk-live-chart`;
            box.style.minHeight = "300px";
            box.style.overflow = "auto";
            const div = document.createElement("div"); // Vega-Embed's target
            box.appendChild(div);
            el.appendChild(box);
            charts[name] = { el: div, view: null, finalize: null, specText: "", dataText: "" };
        }
        return charts[name];
    }

    async function embed(name) {
        const chart = elementFor(name);
        if (chart.finalize) {
            chart.finalize();
        }
        chart.view = null;
        chart.finalize = null;
        chart.specText = JSON.stringify(model.get("specs")[name] ?? null);
        chart.dataText = JSON.stringify(model.get("data")[name] ?? {});
        if (!model.get("specs")[name]) {
            chart.el.replaceChildren();
            return;
        }
        try {
            const result = await window.vegaEmbed(chart.el, tkSpecWith(model, name),
                structuredClone(model.get("embed_options") ?? {}));
            chart.view = result.view;
            chart.finalize = result.finalize;
            tkCount(chart.el, "data-tk-draws");
        } catch (error) {
            chart.el.textContent = `This chart could not be drawn: ${error.message}`;
        }
    }

    async function refill(name) {
        const chart = charts[name];
        const data = model.get("data")[name] ?? {};
        chart.dataText = JSON.stringify(data);
        try {
            for (const [dataset, rows] of Object.entries(data)) {
                chart.view.data(dataset, structuredClone(rows)); // Vega: remove all, insert these
            }
            await chart.view.runAsync();
            tkCount(chart.el, "data-tk-updates");
        } catch (error) {
            console.warn(`tk: chart ${name} drawn afresh (${error.message})`);
            await embed(name); // a dataset the view does not have: draw it afresh
        }
    }

    async function update() {
        const jobs = [];
        for (const name of model.get("names") ?? []) {
            const chart = elementFor(name);
            const specText = JSON.stringify(model.get("specs")[name] ?? null);
            if (specText !== chart.specText || chart.view === null) {
                jobs.push(embed(name));
            } else if (JSON.stringify(model.get("data")[name] ?? {}) !== chart.dataText) {
                jobs.push(model.get("reembed") ? embed(name) : refill(name));
            }
        }
        await Promise.all(jobs);
    }

    // One pass at a time, each reading the model's latest state; a message that changes specs and
    // data queues one pass; a failed pass is logged and the next one still runs; none after removal.
    let queue = Promise.resolve();
    let queued = false;
    let closed = false;
    const schedule = () => {
        if (queued) {
            return;
        }
        queued = true;
        queue = queue.then(() => {
            queued = false;
            return closed ? null : update();
        }).catch((error) => console.error("tk: charts not updated", error));
    };
    model.on("change:specs", schedule);
    model.on("change:data", schedule);
    schedule();
    await queue;
    return () => {
        closed = true;
        queue.then(() => {
            for (const chart of Object.values(charts)) {
                if (chart.finalize) {
                    chart.finalize();
                }
            }
        });
    };
}

export default { render: tkRender };
