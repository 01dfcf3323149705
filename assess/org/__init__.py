"""组织 (org): units and cadres, adjustments and discipline records, the 黑名单 register."""
