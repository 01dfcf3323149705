"""Composite scores, rankings, grades and rank intervals.

- ``engine``: the pure, vectorised computation from a round's inputs (DataFrames) to unit results;
- ``cadres``: 勤廉双述 cadre results from per-cell vote counts;
- ``robustness``: rank intervals and trigger shares over bootstrap resamples and perturbed weights;
- ``load``: reading a round's inputs from the database;
- ``service``: computing and storing a round's results, reading rankings and explanations.
"""
