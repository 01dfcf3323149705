"""流程 (workflow): where each round stands, what it waits for (stage blockers) and moving it on; the dashboard overview. Sits above every area it asks."""
