"""Where patient data flows: sources, sinks, sanitisers and function summaries (issue 12, part 2).

The PHI rules ask this package one question: *what patient data reaches this sink call?*

- `sources`, `sinks`, `sanitisers`: what starts, ends and stops a flow (syntactic, per file).
- `local.FunctionFlow`: the origins of an expression inside one function, following local names,
  loops, `with`, cursors (`cur.execute(q, params)` then `cur.fetchall()`), stopping at sanitisers
  and internal ids (`patient.pk`).
- `summaries`: the phase-1 collector. For each function, which parameters (or which attributes of
  them) reach which sink, and what each call site passes to whom. Picklable, so cached per file hash
  by the facts cache like every other collector.
- `index.FlowIndex`: the merged summaries. Answers "which callers pass patient data into this
  parameter?", following parameter-to-parameter hand-offs across modules up to `MAX_DEPTH` calls.
- `analysis`: what the rules call in phase 2; adds the model-aware sources (patient-model fields,
  models whose `__str__` renders PHI) from the project model, and returns `Flow`s that explain their
  path in one line: `patient.full_name (views.py:40) -> note() -> log.info (services.py:12)`.

Flows are reported at the sink, in the sink's file (where the data leaves). A diff-aware run that only
changes the caller does not see a sink in an unchanged file: the full run does.
"""
