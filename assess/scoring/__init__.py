"""计分 (scoring): the formulas, as pure functions over a round's inputs — no database, no services.

- ``engine``: indicator points, appraisal scores, composite, rounding, ranks, grades and quotas;
- ``appraisal``: the appraisal score and 满意率 formulas;
- ``cadres``: 勤廉双述 cadre results from per-cell vote counts;
- ``robustness``: rank intervals and trigger shares over bootstrap resamples and perturbed weights;
- ``serial``: a round's inputs to and from JSON (the snapshot's inputs).

Reading the inputs from the database and storing results live in ``assess.results``.
"""
