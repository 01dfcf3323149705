"""assess: the domain core of the assessment office's terminal application.

Importing this package has no side effects: no engine, no directory, no network. Heavy modules
(pandas, plotly, kaleido, sqlmodel) are imported inside the functions that need them.
"""

__version__ = "0.1.0"
