"""轮次 (rounds): a round's life and stages, published snapshots, self-checks, the RFC 3797 spot-check draw, verified scores, findings and rectification, stage deadlines."""
