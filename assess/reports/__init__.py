"""Reports: plotly figures, image export through one headless Chromium, the publication report
(PDF, self-contained HTML, XLSX), the 公示 and rectification notices, and text bars for the terminal.

Nothing heavy is imported here: pandas, plotly and kaleido are imported inside the functions that
use them.
"""
