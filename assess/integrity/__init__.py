"""核验 (integrity): whole-database verification, chain anchors, backup and restore, server checks and PostgreSQL roles."""
