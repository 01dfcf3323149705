"""评议 (appraisal): 民主评议 and 勤廉双述 sessions, double-entry ballot keying, reconciliation and certification, imports, tallies and the secrecy rule, 年初承诺."""
