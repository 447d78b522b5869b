"""The indicator tracker: observations move the assessment as news arrives (issue 12).

`toolkit.track.tracker.track(pack, as_of=..., observations=...)` is the posterior on a date given the
observations reported by then (`toolkit.track.filter`, a forward filter on the deployment chain of
`toolkit.track.chain`); `toolkit.track.forecast.simulate(..., as_of=...)` starts the engine from it;
`toolkit.track.log` appends validated observations to a log; `toolkit.track.ingest` proposes
observations from a new article. The stage sits above `toolkit.engine` (it compiles models and reads
their parameters) and below `toolkit.charts` (charts draw its results).
"""
